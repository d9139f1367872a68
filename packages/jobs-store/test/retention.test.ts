import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, Fixture, sleep } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

// Long enough that a busy machine (CI runs many suites at once) finishes each setup before the first
// record expires; the tests then wait it out.
const TTL = 1_500;

describe('retention', () => {
  it('expires finished jobs with their params, result and idempotency key; active jobs never expire', async () => {
    const f = new Fixture(redis, { retentionMs: TTL });
    const base = f.store.keyBase;
    // Params long enough that the payload (where they are read from) lives beside the hash.
    const long = { n: 1, text: 'x'.repeat(80) };
    const done = (await f.submit({ type: 'echo', params: long, idempotencyKey: 'once' })).id;
    await f.succeed(done, await f.start(done), { big: 'x'.repeat(100) });
    const queued = (await f.submit({ type: 'echo', params: long })).id;
    const delayed = (await f.submit({ type: 'echo', params: long, delayMs: 60_000 })).id;
    const running = (await f.submit({ type: 'echo', params: long })).id;
    await f.start(running);

    // The payload goes with the record when the finished index is purged; it needs no expiry of its own.
    expect(await redis.pttl(`${base}:payload:${done}`)).toBe(-1);
    for (const key of [`${base}:job:${done}`, `${base}:result:${done}`]) {
      const ttl = await redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(TTL);
    }
    expect(await redis.pttl((await f.keys()).find((key) => key.includes(':idem:'))!)).toBeGreaterThan(0);
    for (const id of [queued, delayed, running]) {
      expect(await redis.pttl(`${base}:job:${id}`)).toBe(-1);
      expect(await redis.pttl(`${base}:payload:${id}`)).toBe(-1);
    }

    await sleep(TTL + 50);
    expect(await f.store.get(done)).toBeNull();
    expect(await f.store.getResult(done)).toBeNull();
    await f.store.purgeExpired();
    expect(await redis.exists(`${base}:job:${done}`, `${base}:payload:${done}`, `${base}:result:${done}`)).toBe(0);
    expect(await f.store.prepareRetry(done)).toBeNull();
    // The same idempotency key makes a new job once the first is gone.
    expect((await f.submit({ type: 'echo', idempotencyKey: 'once' })).refusal).toBeNull();
    for (const id of [queued, delayed, running]) expect(await f.store.get(id)).not.toBeNull();
  });

  it('never lists an id whose record is gone, even before a purge', async () => {
    const f = new Fixture(redis, { retentionMs: TTL });
    const finished: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const { id } = await f.submit({ type: n % 2 ? 'odd' : 'even' });
      await f.succeed(id, await f.start(id));
      finished.push(id);
    }
    const active = (await f.submit({ type: 'odd' })).id;
    expect((await f.store.list()).jobs).toHaveLength(6);
    await sleep(TTL + 50);
    // No purge has run: the index entries are still there, the records are not.
    expect(await redis.zcard(`${f.store.keyBase}:finished`)).toBe(5);
    for (const query of [{}, { status: 'succeeded' as const }, { type: 'odd' }, { type: 'even' }, { type: 'odd', status: 'succeeded' as const }, { limit: 1 }]) {
      const page = await f.store.list(query);
      expect(page.jobs.map((job) => job.id).filter((id) => finished.includes(id)), JSON.stringify(query)).toEqual([]);
    }
    expect((await f.store.list()).jobs.map((job) => job.id)).toEqual([active]);
  });

  it('purges expired jobs from every index (purgeExpired, counts, and a little with each finish)', async () => {
    const f = new Fixture(redis, { retentionMs: TTL });
    const base = f.store.keyBase;
    for (let n = 0; n < 4; n += 1) {
      const { id } = await f.submit({ type: 'short' });
      await f.succeed(id, await f.start(id));
    }
    const failed = (await f.submit({ type: 'short' })).id;
    await f.hooks.call('dead', failed, { token: await f.start(failed), attempt: 1, reason: 'x' });
    const cancelled = (await f.submit({ type: 'short' })).id;
    await f.hooks.call('cancelJob', cancelled);
    expect(await f.store.counts()).toMatchObject({ succeeded: 4, failed: 1, cancelled: 1 });
    await sleep(TTL + 50);
    expect(await f.store.purgeExpired()).toBe(6);
    expect(await f.store.purgeExpired()).toBe(0);
    // What stays: the move counts and the list of types, a few bytes each, whatever the number of jobs.
    expect(await f.keys()).toEqual([`${base}:moves`, `${base}:types`]);
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 0, delayed: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });

    // counts() purges first, so finished jobs past retention are not counted.
    const a = (await f.submit({ type: 'short' })).id;
    await f.succeed(a, await f.start(a));
    await sleep(TTL + 50);
    expect((await f.store.counts()).succeeded).toBe(0);

    // Finishing a job purges a few that are due.
    const b = (await f.submit({ type: 'short' })).id;
    await f.succeed(b, await f.start(b));
    await sleep(TTL + 50);
    const c = (await f.submit({ type: 'short' })).id;
    await f.succeed(c, await f.start(c));
    expect(await redis.zrange(`${base}:finished`, 0, '-1')).toEqual([`${c}:succeeded:short`]);
    expect(await redis.zrange(`${base}:type:short`, 0, '-1')).toEqual([c]);
  });

  it('keeps a manually retried job: its old retention entry no longer applies', async () => {
    const f = new Fixture(redis, { retentionMs: TTL });
    const { id } = await f.submit();
    await f.hooks.call('dead', id, { token: await f.start(id), attempt: 1, reason: 'x' });
    await sleep(TTL / 2);
    expect((await f.hooks.call('retryJob', id)).refusal).toBeNull();
    await sleep(TTL);
    expect(await f.store.purgeExpired()).toBe(0);
    expect((await f.store.get(id))?.status).toBe('queued');
    expect((await f.store.list()).jobs.map((job) => job.id)).toEqual([id]);
  });
});
