import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from '@microsoft/api-extractor';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OUTPUT } from './paths.js';

const require = createRequire(import.meta.url);

/** The packages that have an API Extractor config, by folder name, sorted. */
export function documentedPackages(root: string): string[] {
  const folder = join(root, 'packages');
  return readdirSync(folder)
    .filter((name) => existsSync(join(folder, name, 'api-extractor.json')))
    .sort();
}

/**
 * The config of one package's own api-extractor.json (so its model is the one `npm run api-report`
 * makes), writing the doc model (`<name>.api.json`) into `outFolder` and no report, so that its
 * etc/ and temp/ folders are left alone.
 */
function modelConfig(packageFolder: string, outFolder: string): ExtractorConfig {
  const configPath = join(packageFolder, 'api-extractor.json');
  const configObject = ExtractorConfig.loadFile(configPath);
  configObject.docModel = { enabled: true, apiJsonFilePath: join(outFolder, '<unscopedPackageName>.api.json') };
  configObject.apiReport = { enabled: false, reportFileName: '<unscopedPackageName>.api.md' };
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configPath,
    packageJsonFullPath: join(packageFolder, 'package.json'),
  });
}

/** Writes the doc models of the packages; needs their dist/*.d.ts (their builds). */
function extractModels(packageFolders: string[], outFolder: string): void {
  const configs = packageFolders.map((folder) => modelConfig(folder, outFolder));
  const [first] = configs;
  if (first === undefined) throw new Error('no package has an api-extractor.json');
  // One TypeScript program for all entry points: the models are byte-identical to separate runs,
  // in a third of the time.
  const compilerState = CompilerState.create(first, { additionalEntryPoints: configs.map((config) => config.mainEntryPointFilePath) });
  configs.forEach((config, index) => {
    const problems: string[] = [];
    const result = Extractor.invoke(config, {
      localBuild: true,
      compilerState,
      messageCallback: (message) => {
        // Quiet: the api-report task is where a package's surface problems are reported.
        if (message.logLevel === ExtractorLogLevel.Error) problems.push(message.formatMessageWithLocation(config.projectFolder));
        message.handled = true;
      },
    });
    if (!result.succeeded) {
      throw new Error(`API Extractor failed for ${packageFolders[index]} (is it built?):\n${problems.join('\n')}`);
    }
  });
}

/**
 * The package reference: API Extractor's doc model of every package, rendered to Markdown by
 * api-documenter. Returns file contents keyed by their path from the repository root
 * (`docs/reference/packages/<file>.md`), with LF line ends.
 */
export function generatePackageReference(root: string): Map<string, string> {
  const work = mkdtempSync(join(tmpdir(), 'hotq-docs-'));
  try {
    const models = join(work, 'models');
    const out = join(work, 'markdown');
    mkdirSync(models);
    extractModels(documentedPackages(root).map((name) => join(root, 'packages', name)), models);

    const documenter = join(dirname(require.resolve('@microsoft/api-documenter/package.json')), 'bin', 'api-documenter');
    const run = spawnSync(process.execPath, [documenter, 'markdown', '--input-folder', models, '--output-folder', out], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`api-documenter failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);

    const files = new Map<string, string>();
    for (const file of readdirSync(out).sort()) {
      // api-documenter's markdown action writes CRLF; the repository keeps LF.
      files.set(`${OUTPUT.packagesDir}/${file}`, readFileSync(join(out, file), 'utf8').replace(/\r\n/g, '\n'));
    }
    return files;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
