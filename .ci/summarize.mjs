// Sums vitest's JSON reports over every workspace and prints the closing line CI reads:
// "N passed, N failed". Exits non-zero when a test failed, a test file could not run, a
// workspace with tests wrote no report, or no test ran at all.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

let passed = 0;
let failed = 0;
const problems = [];

for (const group of ['packages', 'tools']) {
  for (const name of readdirSync(group)) {
    const dir = join(group, name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const scripts = JSON.parse(readFileSync(manifest, 'utf8')).scripts ?? {};
    if (!scripts.test) continue;
    const reportFile = join(dir, 'test-results.json');
    if (!existsSync(reportFile)) {
      problems.push(`${dir}: no test report (its tests did not run)`);
      failed += 1;
      continue;
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    // A test file that fails to load reports no failed test, only a failed suite: count it.
    for (const file of report.testResults ?? []) {
      const failedTests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
      // Named again here, at the end of a long log, with the first line of why.
      for (const test of failedTests) {
        const why = String(test.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
        problems.push(`failed: ${file.name} > ${test.fullName}: ${why}`);
      }
      const failedInFile = failedTests.length;
      if (file.status === 'failed' && failedInFile === 0) {
        problems.push(`${file.name}: ${String(file.message ?? 'failed to run').split('\n')[0]}`);
        failed += 1;
      }
    }
  }
}

for (const problem of problems) console.log(problem);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
