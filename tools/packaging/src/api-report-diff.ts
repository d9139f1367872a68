#!/usr/bin/env node
// npm run api-report:diff [-- --base REF]: what changed in every public surface against a base
// branch (default main), as a diff of the API reports, for a reviewer. Like a pull request's diff it
// compares with the point where this branch left the base, so changes merged there since are not
// shown as yours.
// npm run api-report:check: fails, naming the package and printing the diff, when a committed report
// no longer matches its package's surface (what CI's API-report job runs).
import { dirname, resolve } from 'node:path';
import { argv, exit, stderr, stdout } from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTwoFilesPatch } from 'diff';
import { generateReports, mergeBase, reportAt, revisionExists, type ApiReport } from './api-reports.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function usage(message: string): never {
  stderr.write(`api-report-diff: ${message}\nusage: npm run api-report:diff [-- --base REF]   |   npm run api-report:check\n`);
  exit(2);
}

/** A unified diff in a fenced block, so it reads the same in a terminal and in a PR comment. */
function fenced(from: string, to: string, oldText: string, newText: string): string {
  const patch = createTwoFilesPatch(from, to, oldText, newText, undefined, undefined, { context: 3 });
  // Drop the "Index:" and "====" lines createTwoFilesPatch puts first: the ---/+++ lines say it all.
  const body = patch.split('\n').filter((line) => !line.startsWith('Index: ') && !/^=+$/.test(line)).join('\n');
  return '```diff\n' + body.trimEnd() + '\n```\n';
}

function staleNote(report: ApiReport): string {
  return `  (${report.reportPath} is not up to date with the code: run \`npm run api-report:update\` and commit it)\n`;
}

function diffAgainst(base: string, reports: ApiReport[]): void {
  const since = mergeBase(root, base) ?? usage(`${base} and HEAD share no history`);
  stdout.write(`# Public surfaces against ${base} (where this branch left it: ${since.slice(0, 12)})\n\n`);
  for (const report of reports) {
    const before = reportAt(root, since, report.reportPath);
    if (before === report.generated) {
      stdout.write(`## ${report.packageName}: unchanged\n`);
    } else {
      const what = before === undefined ? 'new (no report on the base)' : 'changed';
      stdout.write(`## ${report.packageName}: ${what}\n\n`);
      stdout.write(fenced(`${base}:${report.reportPath}`, `working tree:${report.reportPath}`, before ?? '', report.generated));
    }
    if (report.committed !== report.generated) stdout.write(staleNote(report));
    stdout.write('\n');
  }
}

function check(reports: ApiReport[]): number {
  const stale = reports.filter((report) => report.committed !== report.generated);
  for (const report of stale) {
    stdout.write(`${report.packageName}: ${report.reportPath} does not match the package's public surface.\n`);
    stdout.write('Review the change below; if it is meant, run `npm run api-report:update` and commit the report with it.\n\n');
    stdout.write(fenced(`committed:${report.reportPath}`, `generated:${report.reportPath}`, report.committed, report.generated));
    stdout.write('\n');
  }
  if (stale.length === 0) stdout.write(`API reports are current (${reports.map((r) => r.packageName).join(', ')})\n`);
  return stale.length === 0 ? 0 : 1;
}

function main(): number {
  let values;
  try {
    ({ values } = parseArgs({ args: argv.slice(2), options: { base: { type: 'string' }, check: { type: 'boolean' } } }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.check && values.base !== undefined) usage('--check compares with the committed reports; it takes no --base');
  const reports = generateReports(root);
  if (values.check) return check(reports);
  // CI checkouts often have origin/main but no local main.
  const base = values.base ?? ['main', 'origin/main'].find((candidate) => revisionExists(root, candidate));
  if (base === undefined) usage('no main or origin/main here: name the base with --base REF');
  if (!revisionExists(root, base)) usage(`git does not know the revision ${JSON.stringify(base)}`);
  diffAgainst(base, reports);
  return 0;
}

exit(main());
