import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedisServer, uniqueName } from '@hotq/test-harness';
import { connect, fixture, producer, spawnWorker, started, TERMINAL, type WorkerProcess } from './_helpers.js';

let redis: Redis;
let url: string;
const children: WorkerProcess[] = [];
// A TCP server that stands in for Redis and counts connections: bad invocations must never connect.
let trap: Server;
let trapUrl: string;
let trapConnections = 0;

beforeAll(async () => {
  url = inject('redisUrl');
  redis = connect(url);
  trap = createServer((socket) => {
    trapConnections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const address = trap.address();
  trapUrl = `redis://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/0`;
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await child.exited;
  }
});
afterAll(async () => {
  redis.disconnect();
  await new Promise((resolve) => trap.close(resolve));
});

async function refused(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawnWorker(['--redis-url', trapUrl, ...args], env);
  children.push(child);
  const { code } = await child.exited;
  expect(code, `exit code for ${args.join(' ')}`).not.toBe(0);
  expect(code).not.toBeNull();
  return child.stderr.join('');
}

describe('hotq-worker', () => {
  it('--help describes every flag and exits 0', async () => {
    const child = spawnWorker(['--help']);
    children.push(child);
    expect((await child.exited).code).toBe(0);
    const help = child.stdout.join('\n');
    for (const flag of ['--redis-url', '--queue', '--prefix', '--concurrency', '--handlers', '--lease-ms', '--grace-ms', '--isolation', '--log-level', '--help']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('REDIS_URL');
  });

  it('refuses bad flags and environment values with a clear message, before touching Redis', async () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['--concurrency', '0'], /--concurrency.*expected an integer from 1 to 1000/s],
      [['--concurrency', 'lots'], /--concurrency/],
      [['--lease-ms', '10'], /--lease-ms/],
      [['--isolation', 'fork'], /--isolation.*none, thread/s],
      [['--log-level', 'loud'], /--log-level/],
      [['--queue', 'has space'], /--queue/],
      [['--frobnicate'], /unknown option '--frobnicate'/],
      [['extra-argument'], /too many arguments|excess/i],
      [[], /HOTQ_CONCURRENCY/, { HOTQ_CONCURRENCY: 'abc' }],
      [['--partitions', '0'], /--partitions.*expected an integer from 1 to 1024/s],
      [[], /HOTQ_PARTITIONS.*expected an integer from 1 to 1024/s, { HOTQ_PARTITIONS: '2000' }],
    ];
    const messages = await Promise.all(cases.map(([args, , env]) => refused(args, env)));
    cases.forEach(([args, expected], index) => expect(messages[index], args.join(' ')).toMatch(expected));
    const badUrl = spawnWorker(['--redis-url', 'http://user:hunter2@example.com']);
    children.push(badUrl);
    expect((await badUrl.exited).code).not.toBe(0);
    expect(badUrl.stderr.join('')).toMatch(/--redis-url.*must be redis:\/\/host:port\/db/s);
    expect(badUrl.stderr.join('')).not.toContain('hunter2');
    expect(trapConnections).toBe(0);
  });

  it('refuses a Redis deployment that cannot be with exit code 2, naming the variable, before touching Redis', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], { REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_SENTINELS: '127.0.0.1:26379' }, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) and REDIS_SENTINELS \(--redis-sentinels\) must be not both set/],
      [['--redis-cluster-nodes', 'nodes.example'], {}, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) must be a comma-separated list of host:port.*received "nodes.example"/],
      [['--redis-sentinels', '127.0.0.1:26379,'], {}, /REDIS_SENTINELS \(--redis-sentinels\) must be .*an empty item/],
      [['--redis-sentinel-name', 'other'], {}, /REDIS_SENTINEL_NAME \(--redis-sentinel-name\) must be set only with REDIS_SENTINELS/],
      [['--redis-sentinel-password', 'hunter2'], {}, /REDIS_SENTINEL_PASSWORD \(--redis-sentinel-password\) must be set only with REDIS_SENTINELS/],
    ];
    const refusals = cases.map(([args, env]) => spawnWorker(['--redis-url', trapUrl, ...args], env));
    children.push(...refusals);
    for (const [index, child] of refusals.entries()) {
      expect((await child.exited).code).toBe(2);
      expect(child.stderr.join('')).toMatch(cases[index]![2]);
    }
    expect(trapConnections).toBe(0);
  });

  it('refuses a handlers module that cannot be loaded, before touching Redis', async () => {
    const [broken, missing, wrong, threaded] = await Promise.all([
      refused(['--handlers', fixture('broken-handlers.mjs')]),
      refused(['--handlers', fixture('missing.mjs')]),
      refused(['--handlers', fixture('not-handlers.mjs')]),
      refused(['--handlers', fixture('broken-handlers.mjs'), '--isolation', 'thread']),
    ]);
    expect(broken).toMatch(/cannot load handlers module .*broken on purpose/);
    expect(missing).toMatch(/cannot load handlers module/);
    expect(wrong).toMatch(/handler for "echo" must be a function/);
    expect(threaded).toMatch(/broken on purpose/);
    expect(trapConnections).toBe(0);
  });

  it('runs the demo types; flags win over the environment, which wins over defaults', async () => {
    const queue = uniqueName('cli');
    // HOTQ_QUEUE names a decoy queue; --queue wins. HOTQ_CONCURRENCY is used (no flag given).
    const child = spawnWorker(['--queue', queue, '--log-level', 'debug'], { REDIS_URL: url, HOTQ_QUEUE: 'decoy', HOTQ_CONCURRENCY: '3' });
    children.push(child);
    const line = await child.waitForLog(started);
    expect(line).toMatchObject({ queue, concurrency: 3, isolation: 'none', leaseMs: 30_000 });
    const connecting = child.logs().find((entry) => entry.msg === 'connecting');
    expect(connecting?.redis).toEqual(expect.stringMatching(/^rediss?:\/\//));

    const jobs = producer(redis, queue);
    const ids = {
      echo: await jobs.submit({ type: 'echo', params: { x: 1 } }),
      sleep: await jobs.submit({ type: 'sleep', params: { ms: 10 } }),
      wordcount: await jobs.submit({ type: 'wordcount', params: { text: 'to be or not to be' } }),
      stats: await jobs.submit({ type: 'stats', params: { values: [1, 2, 3] } }),
      fail: await jobs.submit({ type: 'fail', params: { message: 'as asked' }, maxAttempts: 1 }),
    };
    for (const id of Object.values(ids)) await jobs.waitFor(id, TERMINAL);
    expect(await jobs.store.getResult(ids.echo)).toEqual({ kind: 'json', value: { x: 1 } });
    expect(await jobs.store.getResult(ids.sleep)).toEqual({ kind: 'json', value: { slept: 10 } });
    expect(await jobs.store.getResult(ids.wordcount)).toEqual({
      kind: 'json', value: { words: 6, unique: 4, top: [['be', 2], ['to', 2], ['not', 1], ['or', 1]] },
    });
    expect(await jobs.store.getResult(ids.stats)).toEqual({ kind: 'json', value: { count: 3, mean: 2, median: 2, stdev: 1, min: 1, max: 3 } });
    expect(await jobs.job(ids.fail)).toMatchObject({ status: 'failed', error: { message: 'as asked' } });
    // Nothing of a payload reaches the logs.
    expect(child.stdout.join('\n')).not.toContain('to be or not');
    await jobs.close();
  });

  it('serves a partitioned queue with HOTQ_PARTITIONS, and refuses a queue of another count, naming both', async () => {
    const queue = uniqueName('cli');
    const child = spawnWorker(['--queue', queue, '--partitions', '4'], { REDIS_URL: url, HOTQ_PARTITIONS: '9' });
    children.push(child);
    await child.waitForLog(started);
    const jobs = producer(redis, queue, 'hotq', 4);
    const ids = await Promise.all(Array.from({ length: 8 }, async (_, n) => await jobs.submit({ type: 'echo', params: { n } })));
    expect(new Set(ids.map((id) => jobs.store.partitions.partitionOf(id))).size).toBe(4);
    for (const id of ids) expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded' });
    await jobs.close();
    const other = spawnWorker(['--queue', queue], { REDIS_URL: url, HOTQ_PARTITIONS: '2' });
    children.push(other);
    expect((await other.exited).code).toBe(1);
    expect(other.stderr.join('')).toMatch(/has 4 partitions, but this process was started with 2 partitions.*HOTQ_PARTITIONS/s);
  });

  it('masks the password of the Redis URL in its logs', async () => {
    const withPassword = trapUrl.replace('redis://', 'redis://:s3cret-pass@');
    const child = spawnWorker(['--queue', uniqueName('auth')], { REDIS_URL: withPassword });
    children.push(child);
    const line = await child.waitForLog((entry) => entry.msg === 'connecting');
    expect(line.redis).toBe(withPassword.replace('s3cret-pass', '***'));
    child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
    expect(child.stdout.join('\n') + child.stderr.join('')).not.toContain('s3cret-pass');
  });

  it('warns at start when Redis may evict keys (maxmemory-policy is not noeviction)', async () => {
    const server = await startRedisServer({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const child = spawnWorker(['--redis-url', server.url, '--queue', uniqueName('evict')]);
      children.push(child);
      const warning = await child.waitForLog((line) => line.maxmemoryPolicy === 'allkeys-lru');
      expect(warning.level).toBe(40);
      expect(String(warning.msg)).toMatch(/noeviction/);
    } finally {
      await server.dispose();
    }
  });
});
