import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Each fixture is linted with the repository's own eslint.config.js, as if it lived at the path
// named on its first line, so the real rules (not a copy) are what is being proved.
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const fixtures = join(here, '../fixtures');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(fixture: string): Promise<string[]> {
  const code = readFileSync(join(fixtures, fixture), 'utf8');
  const lintAs = /^\/\/ lint-as: (\S+)/.exec(code)?.[1];
  if (!lintAs) throw new Error(`${fixture} does not say where to lint it (// lint-as: <path>)`);
  const [result] = await eslint.lintText(code, { filePath: join(root, lintAs) });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'boundaries/dependencies')
    .map((message) => message.message);
}

const violations: Record<string, string> = {
  'private-underscore.ts': "another package's underscore module",
  'private-internal.ts': "another package's internal/ module",
  'past-index-relative.ts': "another package's src/index by relative path",
  'past-index-deep.ts': "another package's built file by deep import",
  'direction-core-to-store.ts': 'queue-core -> jobs-store',
  'direction-api-to-worker.ts': 'api -> worker',
  'direction-worker-to-api.ts': 'worker -> api',
  'direction-store-to-worker.ts': 'jobs-store -> worker through a re-export',
  'harness-from-src.ts': 'the test harness in shipped code',
};

describe('package boundaries', () => {
  it('has a verdict for every fixture', () => {
    const files = readdirSync(fixtures).filter((file) => !file.startsWith('clean-'));
    expect(files.sort()).toEqual(Object.keys(violations).sort());
  });

  for (const [fixture, what] of Object.entries(violations)) {
    it(`refuses ${what}`, async () => {
      const errors = await boundaryErrors(fixture);
      expect(errors.length).toBe(1);
    });
  }

  for (const fixture of ['clean-api.ts', 'clean-worker.ts', 'clean-store.ts', 'clean-test-harness.ts']) {
    it(`accepts imports through the index (${fixture})`, async () => {
      expect(await boundaryErrors(fixture)).toEqual([]);
    });
  }
});
