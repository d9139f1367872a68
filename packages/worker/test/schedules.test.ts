// A schedule served by several real worker processes (docs/decisions/0019): every occurrence made
// once, through a worker killed with -9 and a restart of Redis (a private server with appendonly).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import type { Job } from '@hotq/jobs-store';
import { connect, producer, sleep, spawnWorker, started, TERMINAL, until, type WorkerProcess } from './_helpers.js';

// This file restarts its Redis, so it has a private server: no other test sees the outage.
let server: RedisServer;
let redis: Redis;
const children: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer({ appendonly: true });
  redis = connect(server.url);
});
afterAll(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await child.exited;
  }
  redis.disconnect();
  await server.dispose();
});

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('an interval schedule across worker processes', () => {
  it('makes 10 occurrences in 10 s, none twice, through kill -9 of a worker and a Redis restart', async () => {
    const queue = uniqueName('every');
    const workers = Array.from({ length: 3 }, () =>
      spawnWorker(['--redis-url', server.url, '--queue', queue, '--concurrency', '2', '--lease-ms', '2000']));
    children.push(...workers);
    await Promise.all(workers.map((worker) => worker.waitForLog(started)));

    // Two producers (as two API processes would) set the same schedule at once, and again.
    const producers = [producer(redis, queue), producer(connect(server.url), queue)];
    const start = (await redisNow()) + 1_000;
    const spec = producers[0]!.store.prepareSchedule({
      job: { type: 'sleep', params: { ms: 300 } }, everyMs: 1_000, startAt: new Date(start).toISOString(),
      // The restart below misses a slot or two: made when Redis is back. Overlap allowed, because the
      // occurrence held by the killed worker stays running until its lease expires.
      misfire: { max: 5 }, overlap: 'allow',
    });
    const outcomes = await Promise.all([...producers, ...producers].map(async (p) => (await p.queue.setSchedule('tick', spec)).outcome));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'unchanged')).toHaveLength(3);

    // kill -9 of a worker just after the fourth slot (it may hold that occurrence).
    await sleep(start + 3_100 - (await redisNow()));
    workers[0]!.kill('SIGKILL');
    await workers[0]!.exited;
    // Redis down from 5.5 s to about 7 s: the slot at 6 s (maybe 7 s) passes while it is away.
    await sleep(start + 5_500 - (await redisNow()));
    await server.stop();
    await sleep(1_500);
    await server.start();
    await until(async () => (await redis.ping().catch(() => null)) === 'PONG', 'Redis to be back', 10_000);
    await sleep(start + 10_300 - (await redisNow()));
    expect(await producers[1]!.queue.removeSchedule('tick')).toBe(true);

    const occurrences = await until(async () => {
      const { jobs } = await producers[0]!.store.list({ type: 'sleep', limit: 1000 });
      return jobs.every((job) => TERMINAL.includes(job.status)) ? jobs : undefined;
    }, 'every occurrence to finish', 15_000);
    const dues = occurrences.map((job: Job) => Date.parse(job.schedule?.dueAt ?? '')).sort((a, b) => a - b);
    expect(new Set(dues).size).toBe(dues.length);
    expect(occurrences.every((job) => job.schedule?.id === 'tick' && job.status === 'succeeded')).toBe(true);
    const inTenSeconds = dues.filter((due) => due >= start && due < start + 10_000);
    expect(inTenSeconds.length).toBeGreaterThanOrEqual(9);
    expect(inTenSeconds.length).toBeLessThanOrEqual(11);
    expect(inTenSeconds.every((due) => (due - start) % 1_000 === 0)).toBe(true);
    for (const p of producers) await p.close();
  }, 60_000);
});
