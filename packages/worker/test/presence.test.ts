import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { JobsStore } from '@hotq/jobs-store';
import { createWorker, type Handlers } from '../src/index.js';
import { connect, memoryLogger, producer, until } from './_helpers.js';

let redis: Redis;
beforeAll(() => {
  redis = connect(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('worker presence', () => {
  it('keeps a heartbeat record listing its running jobs, with a TTL, and removes it on stop', async () => {
    const queue = uniqueName('p');
    let release: () => void = () => {};
    const handlers: Handlers = { hold: () => new Promise<void>((resolve) => (release = resolve)) };
    const worker = createWorker({ redis, queue, handlers, concurrency: 2, leaseMs: 1_500, heartbeatMs: 100, logger: memoryLogger().logger });
    const jobs = producer(redis, queue);
    expect(await new JobsStore({ redis, queue }).workers()).toEqual([]);
    await worker.start();

    const id = await jobs.submit({ type: 'hold' });
    const [info] = await until(async () => {
      const found = await new JobsStore({ redis, queue }).workers();
      return found[0]?.running.includes(id) ? found : undefined;
    }, 'the heartbeat to list the running job');
    expect(info).toMatchObject({ id: worker.id, pid: process.pid, queue, concurrency: 2, isolation: 'none', running: [id], ttlMs: 1_500 });
    expect(Date.parse(info?.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(info?.lastBeatAt ?? ''));

    // The exact layout the API mirrors.
    const ttl = await redis.pttl(`{hotq:${queue}}:worker:${worker.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_500);
    expect(await redis.zscore(`{hotq:${queue}}:workers`, worker.id)).not.toBeNull();
    // Other workers' queues are not mixed in.
    expect(await new JobsStore({ redis, queue: uniqueName('other') }).workers()).toEqual([]);

    release();
    await jobs.waitFor(id, ['succeeded']);
    await worker.stop();
    expect(await new JobsStore({ redis, queue }).workers()).toEqual([]);
    expect(await redis.exists(`{hotq:${queue}}:worker:${worker.id}`)).toBe(0);
    await jobs.close();
  });

  it('drops a worker that stopped beating once its record expires', async () => {
    const queue = uniqueName('p');
    const key = `{hotq:${queue}}:worker:gone`;
    const record = { id: 'gone', host: 'h', pid: 1, queue, concurrency: 1, isolation: 'none', running: [], startedAt: new Date().toISOString(), lastBeatAt: new Date().toISOString(), ttlMs: 100 };
    await redis.set(key, JSON.stringify(record), 'PX', 100);
    await redis.zadd(`{hotq:${queue}}:workers`, Date.now(), 'gone');
    expect((await new JobsStore({ redis, queue }).workers()).map((w) => w.id)).toEqual(['gone']);
    await until(async () => (await new JobsStore({ redis, queue }).workers()).length === 0, 'the record to expire', 2_000);
  });
});
