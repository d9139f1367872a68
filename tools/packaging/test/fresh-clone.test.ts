// A newcomer's clone: after the README's set-up command every command of every package answers,
// and keeps answering after `npm run build`, a turbo cache hit and a clean rebuild. The same clone
// then shows that `npm run api-report:diff` catches a surface change and that a release moves the
// four versions together. The clone is of HEAD: commit before you run this.
import { readFileSync, readdirSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, runOk } from './_run.js';

let folder: string;
let clone: string;

// A newcomer's shell: none of the TURBO_* settings of the run that started this test (TURBO_FORCE
// would turn the cache hit checked below into a rebuild).
const newcomer: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TURBO_')));

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'hotq-fresh-clone-'));
  clone = join(folder, 'hotq');
  await runOk('git', ['clone', '--quiet', repoRoot, clone], { cwd: folder });
  // The README's set-up command (--prefer-offline only spares the registry what the cache has).
  await runOk('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, env: newcomer, timeoutMs: 600_000 });
});
afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

/** Every bin of every package under packages/, as the clone's manifests declare them. */
function bins(): string[] {
  return readdirSync(join(clone, 'packages')).flatMap((name) => {
    const manifest = JSON.parse(readFileSync(join(clone, 'packages', name, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    return Object.keys(manifest.bin ?? {});
  });
}

/** `npx --no -- <bin> --help` for every bin: --no, so a missing link fails instead of fetching from the registry. */
async function expectEveryCommandAnswers(stage: string): Promise<void> {
  expect(bins()).toEqual(expect.arrayContaining(['hotq-api', 'hotq-worker']));
  for (const bin of bins()) {
    const result = await run('npx', ['--no', '--', bin, '--help'], { cwd: clone, env: newcomer, timeoutMs: 60_000 });
    expect(result.code, `${stage}: npx ${bin} --help exited ${result.code}\n${result.stderr}`).toBe(0);
    expect(result.stdout, stage).toContain(`Usage: ${bin}`);
  }
}

function removeDist(): void {
  for (const name of readdirSync(join(clone, 'packages'))) rmSync(join(clone, 'packages', name, 'dist'), { recursive: true, force: true });
}

describe('a fresh clone', () => {
  it('has every command after npm install', async () => {
    await expectEveryCommandAnswers('after npm install');
  });

  it('keeps them after npm run build, a turbo cache hit and a clean rebuild', async () => {
    await runOk('npm', ['run', 'build'], { cwd: clone, env: newcomer, timeoutMs: 600_000 });
    await expectEveryCommandAnswers('after npm run build');

    removeDist();
    const cached = await runOk('npx', ['turbo', 'run', 'build', '--filter=./packages/*'], { cwd: clone, env: newcomer });
    expect(cached.stdout).toMatch(/FULL TURBO|cache hit, replaying/);
    await expectEveryCommandAnswers('after a turbo cache hit');

    removeDist();
    await runOk('npx', ['turbo', 'run', 'build', '--filter=./packages/*', '--force'], { cwd: clone, env: newcomer, timeoutMs: 600_000 });
    await expectEveryCommandAnswers('after a clean rebuild');
  });

  it('shows a deliberate surface change in npm run api-report:diff, and api-report:check names the package', async () => {
    const git = (...args: string[]) => runOk('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: clone, env: newcomer });
    const base = (await git('rev-parse', 'HEAD')).stdout.trim();
    await git('checkout', '--quiet', '-b', 'scratch-surface-change');
    const index = join(clone, 'packages', 'worker', 'src', 'index.ts');
    writeFileSync(index, readFileSync(index, 'utf8') + '\n/** A deliberate change to the public surface. @public */\nexport const scratchMarker = 42;\n');
    await git('commit', '--quiet', '-am', 'a deliberate surface change');

    const diff = await runOk('npm', ['run', '--silent', 'api-report:diff', '--', '--base', base], { cwd: clone, env: newcomer, timeoutMs: 600_000 });
    expect(diff.stdout).toContain('## @hotq/worker: changed');
    expect(diff.stdout).toContain('+export const scratchMarker = 42;');
    expect(diff.stdout).toContain(`--- ${base}:packages/worker/etc/worker.api.md`);
    expect(diff.stdout).toContain(`where this branch left it: ${base.slice(0, 12)}`);
    for (const unchanged of ['@hotq/api', '@hotq/jobs-store', '@hotq/queue-core']) expect(diff.stdout).toContain(`## ${unchanged}: unchanged`);
    expect(diff.stdout).toContain('packages/worker/etc/worker.api.md is not up to date with the code');

    const check = await run('npm', ['run', '--silent', 'api-report:check'], { cwd: clone, env: newcomer, timeoutMs: 600_000 });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("@hotq/worker: packages/worker/etc/worker.api.md does not match the package's public surface");
    expect(check.stdout).toContain('+export const scratchMarker = 42;');
    expect(check.stdout).not.toContain('@hotq/api:');
  });

  it('versions the four packages together: a changeset for one bumps all, with their changelogs and pins', async () => {
    const manifest = (name: string) => JSON.parse(readFileSync(join(clone, 'packages', name, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    const toolVersion = JSON.parse(readFileSync(join(clone, 'tools', 'packaging', 'package.json'), 'utf8')).version;
    const [major, minor, patch] = manifest('worker').version.split('.').map(Number) as [number, number, number];
    const next = `${major}.${minor}.${patch + 1}`;
    // The changesets already pending in the repository are not this test's: only its own patch counts.
    for (const file of readdirSync(join(clone, '.changeset'))) if (file.endsWith('.md') && file !== 'README.md') rmSync(join(clone, '.changeset', file));
    writeFileSync(join(clone, '.changeset', 'fresh-clone-test.md'), '---\n"@hotq/worker": patch\n---\n\nA fix in the worker.\n');
    await runOk('npx', ['changeset', 'version'], { cwd: clone, env: newcomer });
    for (const name of ['queue-core', 'jobs-store', 'api', 'worker']) {
      expect(manifest(name).version, name).toBe(next);
      expect(readFileSync(join(clone, 'packages', name, 'CHANGELOG.md'), 'utf8'), name).toContain(`## ${next}`);
    }
    expect(readFileSync(join(clone, 'packages', 'worker', 'CHANGELOG.md'), 'utf8')).toContain('A fix in the worker.');
    expect(manifest('api').dependencies['@hotq/queue-core']).toBe(next);
    expect(manifest('worker').dependencies['@hotq/jobs-store']).toBe(next);
    // Tools are private: a release leaves them alone.
    expect(JSON.parse(readFileSync(join(clone, 'tools', 'packaging', 'package.json'), 'utf8')).version).toBe(toolVersion);
  });
});
