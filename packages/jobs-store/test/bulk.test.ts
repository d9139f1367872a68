import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { QueueFixture } from './_queue.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('bulk actions', () => {
  it('delete finished jobs only, over several steps, with exact counts; a dry run changes nothing; resending is harmless', async () => {
    const f = new QueueFixture(redis);
    // 600 jobs: more than two steps of the walk.
    await f.submit(Array.from({ length: 600 }, (_, n) => ({ type: n % 2 ? 'odd' : 'even', params: { n } })));
    await f.finish(300, 'succeed');
    await f.finish(100, 'fail');
    await f.queue.reserve({ count: 50, consumer: 'busy' }); // 50 running, 150 queued
    const dry = await f.store.deleteJobs({ all: true }, { dryRun: true });
    expect(dry).toEqual({ matched: 600, changed: 400, skipped: { count: 200, reasons: { not_finished: 200 } }, dryRun: true });
    expect((await f.store.counts()).succeeded).toBe(300);

    expect(await f.store.deleteJobs({ status: 'failed' })).toEqual({ matched: 100, changed: 100, skipped: { count: 0, reasons: {} }, dryRun: false });
    expect(await f.store.deleteJobs({ type: 'odd' })).toEqual({ matched: 250, changed: 150, skipped: { count: 100, reasons: { not_finished: 100 } }, dryRun: false });
    expect(await f.store.deleteJobs({ all: true })).toEqual({ matched: 350, changed: 150, skipped: { count: 200, reasons: { not_finished: 200 } }, dryRun: false });
    expect(await f.store.deleteJobs({ all: true })).toEqual({ matched: 200, changed: 0, skipped: { count: 200, reasons: { not_finished: 200 } }, dryRun: false });
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 150, delayed: 0, running: 50, succeeded: 0, failed: 0, cancelled: 0 });
    expect((await f.queue.stats()).dead).toBe(0);
    await f.close();
  });

  it('retry failed and cancelled jobs only, keep the count exact, and are safe to resend', async () => {
    const f = new QueueFixture(redis);
    await f.submit(Array.from({ length: 400 }, (_, n) => ({ type: 'echo', params: { n }, ...(n < 100 ? { tags: ['batch:1'] } : {}) })));
    await f.finish(300, 'fail');
    expect(await f.store.retryJobs(f.queue, { tag: 'batch:1', status: 'failed' }, { dryRun: true })).toMatchObject({ matched: 100, changed: 100, dryRun: true });
    expect((await f.store.counts()).failed).toBe(300);
    expect(await f.store.retryJobs(f.queue, { tag: 'batch:1' })).toEqual({ matched: 100, changed: 100, skipped: { count: 0, reasons: {} }, dryRun: false });
    const all = await f.store.retryJobs(f.queue, { type: 'echo' });
    expect(all).toEqual({ matched: 400, changed: 200, skipped: { count: 200, reasons: { not_failed_or_cancelled: 200 } }, dryRun: false });
    expect(await f.store.retryJobs(f.queue, { status: 'failed' })).toEqual({ matched: 0, changed: 0, skipped: { count: 0, reasons: {} }, dryRun: false });
    expect(await f.store.counts()).toMatchObject({ queued: 400, failed: 0 });
    const job = (await f.store.list({ limit: 1 })).jobs[0]!;
    expect(job).toMatchObject({ status: 'queued', attempts: 0 });
    await f.close();
  });

  it('retry stops at the queue maximum and says how many it left', async () => {
    const f = new QueueFixture(redis, {}, 280);
    for (const count of [250, 50]) {
      await f.submit(Array.from({ length: count }, () => ({ type: 'echo' })));
      await f.finish(count, 'fail');
    }
    const result = await f.store.retryJobs(f.queue, { status: 'failed' });
    // Steps of 100: two fit; the third would go past 280 and is refused as a whole by the put.
    expect(result).toEqual({ matched: 300, changed: 200, skipped: { count: 100, reasons: { queue_full: 100 } }, dryRun: false });
    expect((await f.store.counts()).failed).toBe(100);
    await f.close();
  });

  it('cancel queued and delayed jobs, ask running ones to stop, skip finished ones', async () => {
    const f = new QueueFixture(redis);
    await f.submit(Array.from({ length: 300 }, () => ({ type: 'echo' })));
    await f.submit(Array.from({ length: 20 }, () => ({ type: 'echo', delayMs: 60_000 })));
    await f.finish(30, 'succeed');
    const { messages } = await f.queue.reserve({ count: 10, consumer: 'w' });
    const result = await f.store.cancelJobs(f.queue, { all: true });
    expect(result).toEqual({ matched: 320, changed: 290, skipped: { count: 30, reasons: { finished: 30 } }, dryRun: false });
    expect(await f.store.counts()).toMatchObject({ queued: 0, delayed: 0, running: 10, cancelled: 280, succeeded: 30 });
    const beats = await f.queue.extend(messages);
    expect(beats.every((beat) => beat.cancelRequested)).toBe(true);
    expect((await f.queue.stats()).ready).toBe(0);
    await f.close();
  });

  it('filter by createdBefore and finishedBefore', async () => {
    const f = new QueueFixture(redis);
    const early = await f.submit(Array.from({ length: 5 }, () => ({ type: 'echo' })));
    await f.finish(5, 'succeed');
    await sleep(20);
    const cut = new Date();
    await sleep(20);
    await f.submit(Array.from({ length: 3 }, () => ({ type: 'echo' })));
    await f.finish(3, 'succeed');
    expect(await f.store.deleteJobs({ finishedBefore: cut }, { dryRun: true })).toMatchObject({ matched: 5, changed: 5 });
    expect(await f.store.deleteJobs({ createdBefore: cut.toISOString() })).toMatchObject({ matched: 5, changed: 5 });
    for (const job of early) expect(await f.store.get(job.id)).toBeNull();
    expect((await f.store.counts()).succeeded).toBe(3);
    await f.close();
  });

  it('refuse an empty filter without all: true, bad fields and a queue of another store, writing nothing', async () => {
    const f = new QueueFixture(redis);
    const other = new QueueFixture(redis);
    await f.submit([{ type: 'echo' }]);
    const keys = await f.keys();
    await expect(f.store.deleteJobs({})).rejects.toMatchObject({ code: 'invalid_request', field: 'all' });
    await expect(f.store.deleteJobs({ all: false })).rejects.toMatchObject({ field: 'all' });
    await expect(f.store.cancelJobs(f.queue, { all: 'yes' as never })).rejects.toMatchObject({ field: 'all' });
    await expect(f.store.deleteJobs({ status: 'done' as never })).rejects.toMatchObject({ field: 'status' });
    await expect(f.store.deleteJobs({ tag: '' })).rejects.toMatchObject({ field: 'tag' });
    await expect(f.store.deleteJobs({ finishedBefore: 'soon' })).rejects.toMatchObject({ field: 'finishedBefore' });
    await expect(f.store.deleteJobs({ createdBefore: '2026-02-30' })).rejects.toMatchObject({ field: 'createdBefore' });
    await expect(f.store.deleteJobs({ all: true, limit: 5 } as never)).rejects.toMatchObject({ field: 'limit' });
    await expect(f.store.deleteJobs({ all: true }, { dryRun: 1 } as never)).rejects.toMatchObject({ field: 'options.dryRun' });
    await expect(f.store.retryJobs(other.queue, { all: true })).rejects.toMatchObject({ field: 'queue' });
    expect(await f.keys()).toEqual(keys);
    expect(await f.store.counts()).toMatchObject({ queued: 1 });
    await f.close();
    await other.close();
  });
});
