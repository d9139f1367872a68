import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startRedisServer, uniqueName } from '@hotq/test-harness';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[], env: Record<string, string | undefined> = {}): Running {
  const clean = { ...process.env };
  for (const name of ['PORT', 'HOST', 'REDIS_URL', 'HOTQ_PREFIX', 'HOTQ_QUEUE', 'HOTQ_API_TOKEN', 'HOTQ_API_READ_TOKEN', 'HOTQ_LOG_LEVEL',
    'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'HOTQ_WAIT_REPLICAS', 'HOTQ_WAIT_REPLICAS_TIMEOUT_MS', 'HOTQ_PARTITIONS']) delete clean[name];
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr: () => stderr, exit };
}

/** Waits until /readyz answers 200 (Redis reached). */
async function ready(url: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await fetch(`${url}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function listening(running: Running): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = running.stdout.find((l) => l.startsWith('listening on '));
    if (line) return line.slice('listening on '.length);
    if (running.child.exitCode !== null) throw new Error(`exited ${running.child.exitCode}: ${running.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no "listening on" line; stderr: ${running.stderr()}`);
}

beforeAll(() => {
  // The command runs from dist: build it, so this test never runs a stale (or missing) bin.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  if (!existsSync(BIN)) throw new Error('dist/bin.js is missing after the build');
}, 120_000);

describe('hotq-api', () => {
  it('serves on --port 0, prints one line, and exits 0 on SIGTERM', async () => {
    const running = run(['--port', '0', '--redis-url', inject('redisUrl'), '--queue', uniqueName('q'), '--prefix', uniqueName('p'), '--log-level', 'info']);
    const url = await listening(running);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:0$/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const created = await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"echo"}' });
    expect(created.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 100));
    running.child.kill('SIGTERM');
    expect(await running.exit).toBe(0);
    expect(running.stdout).toEqual([`listening on ${url}`]);
    // Logs are JSON lines on stderr: one per request, no warning about the eviction policy here.
    const logs = running.stderr().split('\n').filter(Boolean).map((line) => JSON.parse(line));
    expect(logs.filter((entry) => entry.req).map((entry) => entry.req.url)).toEqual(['/healthz', '/jobs']);
    expect(logs.some((entry) => /maxmemory-policy/.test(entry.msg))).toBe(false);
  });

  it('takes its settings from the environment, flags winning', async () => {
    const queue = uniqueName('q');
    const running = run(['--port', '0'], { REDIS_URL: inject('redisUrl'), HOTQ_QUEUE: queue, PORT: '1', HOTQ_API_TOKEN: 'tok', HOTQ_LOG_LEVEL: 'silent' });
    const url = await listening(running);
    expect((await fetch(`${url}/jobs`)).status).toBe(401);
    expect((await fetch(`${url}/jobs`, { headers: { authorization: 'Bearer tok' } })).status).toBe(200);
    running.child.kill('SIGINT');
    expect(await running.exit).toBe(0);
  });

  it('finishes an open event stream on shutdown instead of hanging', async () => {
    const running = run(['--port', '0', '--redis-url', inject('redisUrl'), '--queue', uniqueName('q'), '--log-level', 'silent']);
    const url = await listening(running);
    const job = await (await fetch(`${url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"echo","delayMs":60000}' })).json() as { id: string };
    const stream = await fetch(`${url}/jobs/${job.id}/events`);
    const reader = stream.body!.getReader();
    await reader.read();
    running.child.kill('SIGTERM');
    expect(await running.exit).toBe(0);
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) break;
    }
  });

  it('refuses to start with HOTQ_API_READ_TOKEN but no HOTQ_API_TOKEN', async () => {
    const running = run(['--port', '0', '--redis-url', inject('redisUrl')], { HOTQ_API_READ_TOKEN: 'read-only' });
    expect(await running.exit).not.toBe(0);
    expect(running.stderr()).toContain('HOTQ_API_TOKEN');
    expect(running.stdout).toEqual([]);
  });

  it('refuses a Redis deployment that cannot be, or a bad replica count, with exit code 2 and the variable named', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], { REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:26379' }, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) and REDIS_SENTINELS \(--redis-sentinels\) must be not both set/],
      [['--redis-cluster-nodes', '127.0.0.1'], {}, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) must be a comma-separated list of host:port.*received "127.0.0.1"/],
      [['--redis-sentinels', 'a:99999'], {}, /REDIS_SENTINELS \(--redis-sentinels\) must be/],
      [[], { REDIS_SENTINEL_NAME: 'other' }, /REDIS_SENTINEL_NAME \(--redis-sentinel-name\) must be set only with REDIS_SENTINELS/],
      [[], { REDIS_SENTINEL_PASSWORD: 'hunter2' }, /REDIS_SENTINEL_PASSWORD \(--redis-sentinel-password\) must be set only with REDIS_SENTINELS/],
      [['--wait-replicas', '-1'], {}, /HOTQ_WAIT_REPLICAS \(--wait-replicas\) must be a whole number of replicas from 0 to 100 \(received "-1"\)/],
      [[], { HOTQ_WAIT_REPLICAS: 'two' }, /HOTQ_WAIT_REPLICAS/],
      [['--wait-replicas', '1', '--wait-replicas-timeout-ms', '0'], {}, /HOTQ_WAIT_REPLICAS_TIMEOUT_MS \(--wait-replicas-timeout-ms\) must be/],
      [['--partitions', '0'], {}, /HOTQ_PARTITIONS \(--partitions\) must be a whole number of partitions from 1 to 1024 \(received "0"\)/],
      [[], { HOTQ_PARTITIONS: '2000' }, /HOTQ_PARTITIONS \(--partitions\) must be a whole number of partitions from 1 to 1024 \(received "2000"\)/],
    ];
    const runs = cases.map(([args, env]) => run(['--port', '0', ...args], env));
    for (const [index, running] of runs.entries()) {
      expect(await running.exit, cases[index]![2].source).toBe(2);
      expect(running.stderr()).toMatch(cases[index]![2]);
      expect(running.stdout).toEqual([]);
    }
  });

  it('serves a partitioned queue with HOTQ_PARTITIONS, and refuses to start with another count than the queue has, naming both', async () => {
    const common = ['--port', '0', '--redis-url', inject('redisUrl'), '--queue', uniqueName('q'), '--prefix', uniqueName('p')];
    const six = run(common, { HOTQ_PARTITIONS: '6' });
    const url = await listening(six);
    // Listening comes before Redis is reached: a busy machine may answer 503 for a moment.
    await ready(url);
    const stats = (await (await fetch(`${url}/stats`)).json()) as { partitionCount: number };
    expect(stats.partitionCount).toBe(6);
    six.child.kill('SIGTERM');
    expect(await six.exit).toBe(0);
    for (const [args, found, asked] of [[['--partitions', '3'], 6, 3], [[], 6, 1]] as const) {
      const other = run([...common, ...args]);
      expect(await other.exit).toBe(2);
      expect(other.stderr()).toContain(`has ${found} partitions, but this process was started with ${asked} partition${asked === 1 ? '' : 's'}`);
      expect(other.stderr()).toContain('HOTQ_PARTITIONS');
    }
  });

  it('warns loudly when Redis may evict keys', async () => {
    const server = await startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const running = run(['--port', '0', '--redis-url', server.url]);
      await listening(running);
      const deadline = Date.now() + 5_000;
      while (!running.stderr().includes('maxmemory-policy') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const warning = running.stderr().split('\n').filter(Boolean).map((line) => JSON.parse(line)).find((entry) => /maxmemory-policy/.test(entry.msg));
      expect(warning).toMatchObject({ level: 40, maxmemoryPolicy: 'allkeys-lru' });
      running.child.kill('SIGTERM');
      expect(await running.exit).toBe(0);
    } finally {
      await server.dispose();
    }
  });

  it('starts without Redis (readyz 503) and prints help', async () => {
    const dead = run(['--port', '0', '--redis-url', 'redis://127.0.0.1:1/0', '--log-level', 'silent']);
    const url = await listening(dead);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    dead.child.kill('SIGTERM');
    expect(await dead.exit).toBe(0);

    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    const text = help.stdout.join('\n');
    for (const flag of ['--port', '--host', '--redis-url', '--queue', '--prefix', '--log-level', '--help']) expect(text).toContain(flag);
    const bad = run(['--port', 'eighty']);
    expect(await bad.exit).not.toBe(0);
  });
});
