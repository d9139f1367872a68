import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { connect, fixture, producer, runLog, sleep, spawnWorker, started, TERMINAL, until, type WorkerProcess } from './_helpers.js';

// This file stops its Redis, so it has a private server: no other test sees the outage.
let server: RedisServer;
let redis: Redis;
let child: WorkerProcess | undefined;

beforeAll(async () => {
  server = await startRedisServer({ appendonly: true });
  redis = connect(server.url);
});
afterAll(async () => {
  child?.kill('SIGKILL');
  await child?.exited;
  redis.disconnect();
  await server.dispose();
});

describe('Redis lost and back', () => {
  it('the worker carries on by itself: a job running through the outage completes, new jobs are taken', async () => {
    const queue = uniqueName('outage');
    const runs = runLog();
    child = spawnWorker(['--redis-url', server.url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--concurrency', '2'], {
      HOTQ_TEST_RUNLOG: runs.path,
    });
    await child.waitForLog(started);
    const jobs = producer(redis, queue);
    const before = await jobs.submit({ type: 'echo', params: { n: 1 } });
    expect((await jobs.waitFor(before, TERMINAL)).status).toBe('succeeded');

    const through = await jobs.submit({ type: 'nap', params: { ms: 2_000 } });
    await until(() => runs.starts(through).length === 1, 'the long job to start');
    expect(child.logs().filter((line) => /Redis is unreachable/.test(String(line.msg)))).toEqual([]);
    await server.stop();
    await child.waitForLog((line) => /Redis is unreachable/.test(String(line.msg)), 10_000);
    await sleep(1_500);
    await server.start();
    await child.waitForLog((line) => /reachable again/.test(String(line.msg)), 10_000);
    const after = await Promise.all(Array.from({ length: 5 }, (_, n) => jobs.submit({ type: 'echo', params: { n } })));
    for (const id of after) expect((await jobs.waitFor(id, TERMINAL, 10_000)).status).toBe('succeeded');
    expect(await jobs.waitFor(through, TERMINAL, 10_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(runs.starts(through)).toHaveLength(1);
    expect(child.exited).toBeDefined();
    expect(child.child.exitCode).toBeNull();
    await jobs.close();
  });
});
