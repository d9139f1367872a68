// A project outside the monorepo that installs the four packages from their tarballs, as a user
// would after `npm install @hotq/...`: no workspace links, no path into the repository.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, run, runOk } from './_run.js';

/** One package as `npm pack --json` describes its tarball. */
export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  files: { path: string; mode: number }[];
}

export interface ScratchProject {
  /** Where the tarballs and the project live (under the OS's temp folder). */
  folder: string;
  project: string;
  packed: PackedPackage[];
  /** What `tsc` printed for the whole project (consumer files and README examples); '' when clean. */
  typeErrors: string;
}

/** The workspace folders under packages/ that publish (not private). */
export function publishedPackages(): { dir: string; manifest: Record<string, unknown> }[] {
  return readdirSync(join(repoRoot, 'packages'))
    .sort()
    .map((name) => ({ dir: join('packages', name), manifest: JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as Record<string, unknown> }))
    .filter(({ manifest }) => manifest.private !== true);
}

/** The TypeScript blocks of a README, each as the file a user would paste it into. */
export function readmeExamples(readme: string): string[] {
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
}

export async function createScratchProject(): Promise<ScratchProject> {
  const folder = mkdtempSync(join(tmpdir(), 'hotq-tarballs-'));
  const tarballs = join(folder, 'tarballs');
  mkdirSync(tarballs);
  const packages = publishedPackages();
  // --ignore-scripts: pack what turbo built; nothing in the repository runs on the way.
  const packArgs = ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs, ...packages.flatMap(({ manifest }) => ['-w', String(manifest.name)])];
  const { stdout } = await runOk('npm', packArgs, { cwd: repoRoot });
  const packed = (JSON.parse(stdout) as { name: string; version: string; filename: string; files: { path: string; mode: number }[] }[]).map(
    (entry) => ({ name: entry.name, version: entry.version, tarball: join(tarballs, entry.filename), files: entry.files }),
  );

  const project = join(folder, 'project');
  cpSync(join(import.meta.dirname, 'fixtures', 'consumer'), project, { recursive: true });
  const root = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  const queueCore = packages.find(({ manifest }) => manifest.name === '@hotq/queue-core')?.manifest as { dependencies: Record<string, string> };
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify(
      {
        name: 'hotq-consumer',
        private: true,
        type: 'module',
        dependencies: { ...Object.fromEntries(packed.map((p) => [p.name, `file:${p.tarball}`])), ioredis: queueCore.dependencies.ioredis },
        devDependencies: { typescript: root.devDependencies.typescript, '@types/node': root.devDependencies['@types/node'] },
      },
      null,
      2,
    ),
  );
  await runOk('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project });

  // The READMEs' examples, from the installed packages: what a user reads is what type-checks.
  for (const p of packed) {
    const readme = readFileSync(join(project, 'node_modules', p.name, 'README.md'), 'utf8');
    readmeExamples(readme).forEach((code, index) => writeFileSync(join(project, 'src', `readme-${p.name.split('/')[1]}-${index + 1}.ts`), code));
  }
  const tsc = await run(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project });
  return { folder, project, packed, typeErrors: tsc.code === 0 ? '' : tsc.stdout + tsc.stderr };
}
