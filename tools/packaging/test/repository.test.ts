// The files that make review and packaging work, checked by real tools: the workflow by a schema
// validator from npm, CODEOWNERS by git's own matching, the bins as git records them.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, run } from './_run.js';
import { publishedPackages } from './_scratch-project.js';

const scratch = mkdtempSync(join(tmpdir(), 'hotq-repo-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const read = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');
const validator = join(repoRoot, 'node_modules', '.bin', 'action-validator');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[] }>;
}

describe('.github/workflows/ci.yml', () => {
  const workflow = parse(read('.github/workflows/ci.yml')) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);

  it('is valid against the GitHub workflow schema, and the validator does refuse a broken one', async () => {
    const valid = await run(validator, [join(repoRoot, '.github/workflows/ci.yml')], { cwd: repoRoot });
    expect(valid.code, valid.stdout + valid.stderr).toBe(0);
    const broken = await run(validator, [join(import.meta.dirname, 'fixtures', 'broken-workflow.yml')], { cwd: repoRoot });
    expect(broken.code).not.toBe(0);
    expect(broken.stdout + broken.stderr).toContain("Additional property 'step' is not allowed");
  });

  it('runs .ci/run on pushes and pull requests, on the oldest Node the packages support', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(steps.some((step) => step.run?.trim() === '.ci/run')).toBe(true);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const versions = steps.filter((step) => step.uses?.startsWith('actions/setup-node@')).map((step) => String(step.with?.['node-version']));
    expect(versions.length).toBeGreaterThan(0);
    for (const version of versions) expect(`>=${version}`).toBe(engines);
  });

  it('fails on a stale API report with the package and the diff, and shows a PR what changed', () => {
    expect(steps.some((step) => step.run?.includes('npm run api-report:check'))).toBe(true);
    expect(steps.some((step) => step.run?.includes('api-report:diff -- --base'))).toBe(true);
  });
});

describe('.github/CODEOWNERS', () => {
  // CODEOWNERS patterns follow gitignore's, and the last matching line wins. Ask git which tracked
  // files each pattern matches on its own (not as one .gitignore, where an ignored parent folder
  // would hide the later, more specific lines).
  function ownersOfTrackedFiles(): Map<string, string[]> {
    const owners = new Map<string, string[]>();
    for (const line of read('.github/CODEOWNERS').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue;
      const [pattern, ...names] = line.trim().split(/\s+/) as [string, ...string[]];
      const matched = execFileSync('git', ['ls-files', '--cached', '--ignored', `--exclude=${pattern}`], { cwd: repoRoot, encoding: 'utf8' });
      expect(matched.trim(), `CODEOWNERS: ${pattern} matches no file`).not.toBe('');
      for (const file of matched.trim().split('\n')) owners.set(file, names);
    }
    return owners;
  }

  it('makes the surface owners review every API report, and leaves no file without an owner', () => {
    const reports = publishedPackages().map(({ dir }) => `${dir}/etc/${dir.split('/')[1]}.api.md`);
    const files = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n');
    const owners = ownersOfTrackedFiles();
    for (const report of reports) expect(owners.get(report), report).toContain('@hotq/surface-owners');
    expect(files.filter((file) => (owners.get(file) ?? []).length === 0)).toEqual([]);
  });
});

describe('the pull-request template', () => {
  it('asks for the API report diff and, when the hot path changed, the benchmark figures', () => {
    const template = read('.github/pull_request_template.md');
    expect(template).toContain('npm run api-report:diff');
    expect(template).toContain('npm run bench');
  });
});

describe('the commands', () => {
  const bins = publishedPackages().flatMap(({ dir, manifest }) =>
    Object.entries((manifest.bin ?? {}) as Record<string, string>).map(([name, path]) => ({ dir, name, path })),
  );

  it('are committed, executable files, so npm links them before dist/ exists and a rebuild cannot drop the bit', () => {
    expect(bins.map((bin) => bin.name)).toEqual(expect.arrayContaining(['hotq-api', 'hotq-worker']));
    for (const bin of bins) {
      expect(bin.path, `${bin.name}: point the bin at a committed file under bin/, not at dist/`).toBe(`./bin/${bin.name}.js`);
      const file = `${bin.dir}/bin/${bin.name}.js`;
      const staged = execFileSync('git', ['ls-files', '--stage', file], { cwd: repoRoot, encoding: 'utf8' });
      expect(staged, `${file}: commit it with mode 100755 (git add --chmod=+x)`).toMatch(/^100755 /);
      expect(read(file)).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it('say what to do when the package is not built yet', async () => {
    for (const bin of bins) {
      const copy = join(scratch, bin.name);
      cpSync(join(repoRoot, bin.dir, 'bin'), join(copy, 'bin'), { recursive: true });
      writeFileSync(join(copy, 'package.json'), '{ "type": "module" }');
      const result = await run(join(copy, 'bin', `${bin.name}.js`), ['--help'], { cwd: copy });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/is not built \(dist\/[\w-]+\.js is missing\): run `npm run build`/);
    }
  });

  it('are all in the Docker image', () => {
    const dockerfile = read('Dockerfile');
    for (const bin of bins) expect(dockerfile).toContain(`COPY --from=build /src/${bin.dir}/bin ./${bin.dir}/bin`);
  });
});
