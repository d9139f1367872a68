// The four packages as a user gets them: packed, installed from the tarballs into a project outside
// the monorepo, type-checked against with skipLibCheck off, and run against a throwaway Redis.
// This is the proof that the public surfaces alone are enough to build a producer and a consumer.
import { lstatSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { start, type Running } from './_process.js';
import { run, repoRoot } from './_run.js';
import { createScratchProject, publishedPackages, type ScratchProject } from './_scratch-project.js';

interface Manifest {
  repository?: unknown;
  keywords?: string[];
  sideEffects?: boolean | string[];
  exports?: Record<string, Record<string, string> | string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

let scratch: ScratchProject;
const running: Running[] = [];

beforeAll(async () => {
  scratch = await createScratchProject();
});
afterAll(async () => {
  await Promise.all(running.map((r) => r.stop()));
  if (scratch) rmSync(scratch.folder, { recursive: true, force: true });
});

/** Every file under a folder, relative to it. */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((file) => statSync(join(folder, file)).isFile());
}

function installed(name: string): string {
  return join(scratch.project, 'node_modules', name);
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_URL: inject('redisUrl'), ...extra };
}

/** Runs one compiled consumer file and returns the JSON lines it printed. */
async function node(file: string, extra: Record<string, string>): Promise<unknown[]> {
  const result = await run(process.execPath, [join(scratch.project, 'dist', file)], { cwd: scratch.project, env: env(extra), timeoutMs: 60_000 });
  expect(result.code, `${file} failed:\n${result.stderr}`).toBe(0);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('the tarballs', () => {
  it('are the four packages under packages/, one each', () => {
    expect(scratch.packed.map((p) => p.name).sort()).toEqual(publishedPackages().map(({ manifest }) => manifest.name).sort());
    expect(scratch.packed.map((p) => p.name).sort()).toEqual(['@hotq/api', '@hotq/jobs-store', '@hotq/queue-core', '@hotq/worker']);
  });

  it('hold only what a user needs: built code with its types, the bins, the dashboard, README, LICENSE, CHANGELOG', () => {
    // @hotq/api also serves the dashboard's static page and stylesheet (dist/dashboard/).
    const allowed = /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|bin\/[\w-]+\.js|dist\/[\w/-]+\.(js|d\.ts|js\.map|lua)|dist\/dashboard\/[\w-]+\.(html|css))$/;
    for (const p of scratch.packed) {
      const paths = p.files.map((f) => f.path);
      expect(paths.filter((path) => !allowed.test(path)), `${p.name}: files a user does not need`).toEqual([]);
      expect(paths.filter((path) => /(^|\/)(test|tests|src|fixtures)\/|\.test\.|tsbuildinfo/.test(path)), p.name).toEqual([]);
      expect(paths, p.name).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'dist/index.js', 'dist/index.d.ts']));
    }
  });

  it('install as copies outside the repository, with no link or path back into it', () => {
    for (const p of scratch.packed) {
      const folder = installed(p.name);
      expect(lstatSync(folder).isSymbolicLink(), `${p.name} is a link`).toBe(false);
      expect(relative(repoRoot, realpathSync(folder)).startsWith('..'), `${p.name} resolves into the repo`).toBe(true);
      for (const file of filesUnder(folder)) {
        const text = readFileSync(join(folder, file), 'utf8');
        expect(text.includes(repoRoot), `${p.name}/${file} names the repository's path`).toBe(false);
        // Every relative import stays inside the package.
        for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
          const target = resolve(dirname(join(folder, file)), specifier as string);
          expect(relative(folder, target).startsWith('..'), `${p.name}/${file} imports ${specifier} outside the package`).toBe(false);
        }
      }
    }
  });

  it('ship source maps that carry their sources, and no declaration maps into missing sources', () => {
    for (const p of scratch.packed) {
      const folder = installed(p.name);
      const maps = filesUnder(folder).filter((file) => file.endsWith('.map'));
      expect(maps.filter((file) => file.endsWith('.d.ts.map')), p.name).toEqual([]);
      for (const file of maps) {
        const map = JSON.parse(readFileSync(join(folder, file), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
        map.sources.forEach((source, index) => {
          const inside = !relative(folder, resolve(dirname(join(folder, file)), source)).startsWith('..');
          expect(inside || typeof map.sourcesContent?.[index] === 'string', `${p.name}/${file}: ${source} is neither shipped nor inlined`).toBe(true);
        });
      }
    }
  });

  it('carry the metadata a registry and a user need', () => {
    const repositories = new Set<string>();
    for (const p of scratch.packed) {
      const manifest = JSON.parse(readFileSync(join(installed(p.name), 'package.json'), 'utf8')) as Manifest;
      const short = p.name.split('/')[1];
      expect(manifest).toMatchObject({ license: 'MIT', type: 'module', engines: { node: expect.stringMatching(/^>=20/) } });
      expect(manifest.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//), directory: `packages/${short}` });
      repositories.add(JSON.stringify((manifest.repository as { url: string }).url));
      expect(manifest.keywords?.length, p.name).toBeGreaterThan(2);
      expect(manifest.sideEffects, p.name).toBeDefined();
      expect(Object.keys(manifest.exports ?? {}).sort(), p.name).toEqual(['.', './package.json']);
      expect(Object.keys(manifest.exports?.['.'] ?? {})[0], `${p.name}: "types" must come first`).toBe('types');
      for (const [dep, spec] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
        expect(spec, `${p.name} -> ${dep}`).not.toMatch(/^(\*|file:|link:|workspace:|\.|\/)/);
        if (dep.startsWith('@hotq/')) expect(spec, `${p.name} -> ${dep}: the packages move together`).toBe(p.version);
      }
      const readme = readFileSync(join(installed(p.name), 'README.md'), 'utf8');
      expect(readme).toContain(`npm install ${p.name}`);
      expect(readme).toMatch(/```ts\n/);
      expect(readme).toMatch(/\]\(https:\/\/[^)]+\/docs\//);
    }
    expect(repositories.size, 'one repository for all four').toBe(1);
  });

  it('type-check a consumer against the installed types, with skipLibCheck off', () => {
    const consumerErrors = scratch.typeErrors.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('src/readme-'));
    expect(consumerErrors).toEqual([]);
  });

  it("type-check every README's TypeScript example against the installed types", () => {
    const readmeErrors = scratch.typeErrors.split('\n').filter((line) => line.startsWith('src/readme-'));
    expect(readmeErrors).toEqual([]);
    expect(readdirSync(join(scratch.project, 'src')).filter((f) => f.startsWith('readme-')).length).toBeGreaterThanOrEqual(4);
  });

  it('give working commands: hotq-api and hotq-worker answer --help', async () => {
    for (const p of scratch.packed) {
      const manifest = JSON.parse(readFileSync(join(installed(p.name), 'package.json'), 'utf8')) as { bin?: Record<string, string> };
      for (const bin of Object.keys(manifest.bin ?? {})) {
        const result = await run(join(scratch.project, 'node_modules', '.bin', bin), ['--help'], { cwd: scratch.project });
        expect(result.code, `${bin} --help: ${result.stderr}`).toBe(0);
        expect(result.stdout).toContain(`Usage: ${bin}`);
      }
    }
  });
});

describe('what the installed packages run', () => {
  it("the seed's HotQueue exercise: a producer fills the queue, the worker decorator drains it up to the poison pill", async () => {
    const queue = uniqueName('hq');
    expect(await node('hotqueue-producer.js', { QUEUE: queue })).toEqual([{ length: 6, key: `hotqueue:${queue}` }]);
    expect(await node('hotqueue-consumer.js', { QUEUE: queue })).toEqual([
      { label: 'get', item: 'my message' },
      { label: 'worker', item: { name: 'Richard Henry', eyes: 'blue' } },
      { label: 'worker', item: 1 },
      { label: 'worker', item: 2 },
      { label: 'worker', item: 3 },
    ]);
  });

  it('a TaskQueue producer and a consumer in two processes: every message taken once and acked', async () => {
    const queue = uniqueName('tq');
    expect(await node('taskqueue-producer.js', { QUEUE: queue })).toEqual([{ put: ['queued', 'queued', 'queued'] }]);
    expect(await node('taskqueue-consumer.js', { QUEUE: queue })).toEqual([
      { words: 1, attempt: 1 },
      { words: 2, attempt: 1 },
      { words: 3, attempt: 1 },
      { ready: 0, leased: 0, dead: 0 },
    ]);
  });

  it('an API built with createApp and a worker built with createWorker complete one job', async () => {
    const names = { QUEUE: uniqueName('q'), PREFIX: uniqueName('p') };
    const api = start(process.execPath, [join(scratch.project, 'dist', 'api.js')], { cwd: scratch.project, env: env(names) });
    const worker = start(process.execPath, [join(scratch.project, 'dist', 'worker.js')], { cwd: scratch.project, env: env(names) });
    running.push(api, worker);
    const base = (await api.line(/^listening on /)).slice('listening on '.length);
    await worker.line(/serves double/);

    const submitted = await fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'double', params: { value: 21 } }) });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    let job: { status: string } = { status: 'queued' };
    for (const end = Date.now() + 30_000; !['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await fetch(`${base}/jobs/${id}`)).json()) as { status: string };
    }
    expect(job, `api:\n${api.output()}\nworker:\n${worker.output()}`).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await (await fetch(`${base}/jobs/${id}/result`)).json()).toEqual({ doubled: 42 });
    await Promise.all([api.stop(), worker.stop()]);
    expect(api.child.exitCode ?? api.child.signalCode, api.output()).toBe(0);
    expect(worker.child.exitCode ?? worker.child.signalCode, worker.output()).toBe(0);
  });
});
