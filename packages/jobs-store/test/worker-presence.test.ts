import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobsStore, type WorkerInfo } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => redis.disconnect());

function info(id: string, ttlMs: number, lastBeatAt = new Date()): WorkerInfo {
  return {
    id, host: 'h', pid: 1, queue: 'q', concurrency: 2, isolation: 'none', running: ['a'],
    startedAt: lastBeatAt.toISOString(), lastBeatAt: lastBeatAt.toISOString(), ttlMs,
  };
}

describe('worker presence', () => {
  it('lists live workers, most recent beat first, and forgets expired and stopped ones', async () => {
    const store = new JobsStore({ redis, queue: uniqueName('q') });
    // Beats far enough apart that their order never depends on the clock's resolution or the load.
    const now = Date.now();
    await store.recordWorker(info('old', 60_000, new Date(now - 1_000)));
    await store.recordWorker(info('new', 60_000, new Date(now - 100)));
    await store.recordWorker(info('brief', 300, new Date(now)));
    expect((await store.workers()).map((w) => w.id)).toEqual(['brief', 'new', 'old']);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await store.workers()).map((w) => w.id)).toEqual(['new', 'old']);
    await store.forgetWorker('old');
    const [only] = await store.workers();
    expect(only).toEqual(info('new', 60_000, new Date(only!.lastBeatAt)));
    await store.forgetWorker('brief');
    await store.recordWorker(info('other', 60_000, new Date(Date.now() - 5_000)));
    expect((await store.workers(1)).map((w) => w.id)).toEqual(['new']);
  });

  it('refuses a malformed record and writes nothing', async () => {
    const store = new JobsStore({ redis, queue: uniqueName('q') });
    await expect(store.recordWorker(info('has space', 1_000))).rejects.toThrow(/info.id/);
    await expect(store.recordWorker(info('ok', 0))).rejects.toThrow(/info.ttlMs/);
    await expect(store.workers(0)).rejects.toThrow(/limit/);
    expect(await store.workers()).toEqual([]);
  });
});
