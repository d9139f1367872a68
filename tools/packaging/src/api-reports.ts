// The API reports of the packages, generated afresh from their built .d.ts by API Extractor (as
// `npm run api-report` does), next to the committed report and the one on a base git revision.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

/** One package's API report, three ways. */
export interface ApiReport {
  /** The npm name, e.g. `@hotq/api`. */
  packageName: string;
  /** The committed report, relative to the repository root (`packages/api/etc/api.api.md`). */
  reportPath: string;
  /** What the report says today, generated from the package's build output. */
  generated: string;
  /** The committed report file in the working tree ('' when there is none). */
  committed: string;
}

/** Runs API Extractor (non-local: it never rewrites etc/) on every package under packages/. */
export function generateReports(root: string): ApiReport[] {
  const reports: ApiReport[] = [];
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    const configFile = join(root, 'packages', name, 'api-extractor.json');
    if (!existsSync(configFile)) continue;
    const config = ExtractorConfig.loadFileAndPrepare(configFile);
    const errors: string[] = [];
    const result = Extractor.invoke(config, {
      localBuild: false,
      messageCallback: (message) => {
        // A changed report is what we are here to show, not an error; anything else is.
        if (message.messageId === 'console-api-report-changed' || message.logLevel !== 'error') {
          message.handled = true;
          return;
        }
        errors.push(message.text);
        message.handled = true;
      },
    });
    if (errors.length > 0 || (!result.succeeded && !result.apiReportChanged)) {
      throw new Error(`API Extractor failed on packages/${name}:\n${errors.join('\n') || 'see its output'}`);
    }
    const fileName = config.reportConfigs[0]?.fileName;
    if (!fileName) throw new Error(`${configFile} writes no API report (apiReport.enabled is false)`);
    const committedFile = join(config.reportFolder, fileName);
    reports.push({
      packageName: config.packageJson?.name ?? name,
      reportPath: relative(root, committedFile),
      generated: readFileSync(join(config.reportTempFolder, fileName), 'utf8'),
      committed: existsSync(committedFile) ? readFileSync(committedFile, 'utf8') : '',
    });
  }
  return reports;
}

/** The report file at a git revision, or undefined when that revision has no such file. */
export function reportAt(root: string, revision: string, reportPath: string): string | undefined {
  try {
    return execFileSync('git', ['show', `${revision}:${reportPath}`], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** Whether git knows the revision (a branch, a tag, a remote branch or a commit). */
export function revisionExists(root: string, revision: string): boolean {
  try {
    execFileSync('git', ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], { cwd: root, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Where the current branch left `base` (what a pull request's diff is taken against), or undefined. */
export function mergeBase(root: string, base: string): string | undefined {
  try {
    return execFileSync('git', ['merge-base', base, 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}
