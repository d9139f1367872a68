import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobStateError } from '../src/index.js';
import { QueueFixture } from './_queue.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('JobsStore.delete', () => {
  it('deletes a succeeded, a failed and a cancelled job with every key and index entry; the counts follow', async () => {
    const f = new QueueFixture(redis);
    // Params and a result long enough to live in keys of their own.
    const long = { text: 'x'.repeat(100) };
    const [done, failed, cancelled, kept] = await f.submit([
      { type: 'echo', params: long, idempotencyKey: 'k-1' }, { type: 'echo', params: long }, { type: 'other', delayMs: 60_000 }, { type: 'echo' },
    ]);
    const before = await f.keys();
    const { messages } = await f.queue.reserve({ count: 2, consumer: 'w' });
    await f.queue.ack(messages[0]!, { vars: f.store.completion({ big: 'y'.repeat(100) }).vars });
    await f.queue.nack(messages[1]!, { dead: true, reason: 'boom', vars: f.store.failure({ message: 'boom' }).vars });
    await f.queue.remove(cancelled!.id, { hook: 'cancelJob' });
    expect((await f.queue.stats()).dead).toBe(1);

    for (const job of [done!, failed!, cancelled!]) expect(await f.store.delete(job.id)).toBe(true);
    for (const job of [done!, failed!, cancelled!]) expect(await f.store.get(job.id)).toBeNull();
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 1, delayed: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
    expect((await f.store.list()).jobs.map((job) => job.id)).toEqual([kept!.id]);
    expect((await f.queue.stats()).dead).toBe(0);
    // Nothing of the three is left: only the keys of the job still queued and the queue's own.
    const left = await f.keys();
    for (const job of [done!, failed!, cancelled!]) expect(left.filter((key) => key.includes(job.id))).toEqual([]);
    expect(left.filter((key) => key.includes(':idem:') || key.includes(':status:') || key.endsWith(':finished'))).toEqual([]);
    expect(before.filter((key) => key.includes(':idem:'))).toHaveLength(1);
    // The idempotency key is free again.
    const [again] = await f.submit([{ type: 'echo', idempotencyKey: 'k-1' }]);
    expect(await f.store.get(again!.id)).not.toBeNull();
    await f.close();
  });

  it('refuses a queued, a delayed and a running job with their status and changes nothing; false for a missing one', async () => {
    const f = new QueueFixture(redis);
    const [running, queued, delayed] = await f.submit([{ type: 'echo' }, { type: 'echo' }, { type: 'echo', delayMs: 60_000 }]);
    await f.queue.reserve({ count: 1, consumer: 'w' });
    const dump = async () => Promise.all((await f.keys()).map(async (key) => [key, (await redis.dumpBuffer(key))?.toString('base64')]));
    const before = await dump();
    for (const [job, status] of [[running!, 'running'], [queued!, 'queued'], [delayed!, 'delayed']] as const) {
      const refusal = await f.store.delete(job.id).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(JobStateError);
      expect(refusal).toMatchObject({ code: 'conflict', id: job.id, status });
    }
    expect(await dump()).toEqual(before);
    expect(await f.store.delete('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe(false);
    await expect(f.store.delete('nope')).rejects.toMatchObject({ code: 'invalid_request', field: 'id' });
    await f.close();
  });

  it('leaves a retried job alone once it is queued again, and a deleted job cannot be retried', async () => {
    const f = new QueueFixture(redis);
    const [job] = await f.submit([{ type: 'echo' }]);
    await f.finish(1, 'fail');
    const retry = await f.store.prepareRetry(job!.id);
    await f.queue.put(retry!.payload, retry!.put);
    await expect(f.store.delete(job!.id)).rejects.toMatchObject({ status: 'queued' });
    await f.finish(1, 'succeed');
    expect(await f.store.delete(job!.id)).toBe(true);
    expect(await f.store.delete(job!.id)).toBe(false);
    expect(await f.store.prepareRetry(job!.id)).toBeNull();
    await f.close();
  });
});
