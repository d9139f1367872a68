import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../src/index.js';
import { connect, Fixture } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

/** Every page of a query, following nextCursor. */
async function allPages(f: Fixture, query: { status?: Job['status']; type?: string; limit: number }, between?: () => Promise<void>): Promise<Job[][]> {
  const pages: Job[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await f.store.list({ ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.jobs);
    if (!page.nextCursor) return pages;
    cursor = page.nextCursor;
    await between?.();
  }
}

describe('list', () => {
  it('returns jobs newest first, with their params, in pages', async () => {
    const f = new Fixture(redis);
    const ids: string[] = [];
    for (let n = 0; n < 7; n += 1) ids.push((await f.submit({ type: 'echo', params: { n } })).id);
    const first = await f.store.list({ limit: 3 });
    expect(first.jobs.map((job) => job.id)).toEqual(ids.slice(-3).reverse());
    expect(first.jobs[0]).toMatchObject({ type: 'echo', params: { n: 6 }, status: 'queued' });
    expect(first.nextCursor).toBe(ids[4]);
    const pages = await allPages(f, { limit: 3 });
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((job) => job.id)).toEqual([...ids].reverse());
    // A page that ends exactly at the last job says there is no next page.
    expect((await allPages(f, { limit: 7 })).map((page) => page.length)).toEqual([7]);
    expect(await f.store.list()).toMatchObject({ nextCursor: null });
  });

  it('stays correct while jobs are added and change status between pages', async () => {
    const f = new Fixture(redis);
    const original: string[] = [];
    for (let n = 0; n < 25; n += 1) original.push((await f.submit({ type: n % 2 ? 'odd' : 'even', params: { n } })).id);
    let added = 0;
    const pages = await allPages(f, { limit: 4 }, async () => {
      // New jobs arrive, and an older job (not yet listed) starts running.
      await f.submit({ type: 'even' });
      added += 1;
      await f.start(original[added] as string);
    });
    const listed = pages.flat().map((job) => job.id);
    expect(listed).toEqual([...original].reverse());
    expect(added).toBeGreaterThan(3);
  });

  it('filters by status, by type and by both', async () => {
    const f = new Fixture(redis);
    const jobs: Record<string, string[]> = { 'a-queued': [], 'a-running': [], 'b-queued': [], 'b-succeeded': [] };
    for (let n = 0; n < 3; n += 1) {
      jobs['a-queued']!.push((await f.submit({ type: 'alpha' })).id);
      const ar = (await f.submit({ type: 'alpha' })).id;
      await f.start(ar);
      jobs['a-running']!.push(ar);
      jobs['b-queued']!.push((await f.submit({ type: 'beta' })).id);
      const bs = (await f.submit({ type: 'beta' })).id;
      await f.succeed(bs, await f.start(bs));
      jobs['b-succeeded']!.push(bs);
    }
    const ids = async (query: Parameters<typeof f.store.list>[0]) => (await f.store.list(query)).jobs.map((job) => job.id);
    const newestFirst = (...lists: string[][]) => lists.flat().sort().reverse();
    expect(await ids({ status: 'queued' })).toEqual(newestFirst(jobs['a-queued']!, jobs['b-queued']!));
    expect(await ids({ type: 'alpha' })).toEqual(newestFirst(jobs['a-queued']!, jobs['a-running']!));
    expect(await ids({ type: 'beta', status: 'succeeded' })).toEqual(newestFirst(jobs['b-succeeded']!));
    expect(await ids({ type: 'alpha', status: 'running' })).toEqual(newestFirst(jobs['a-running']!));
    expect(await ids({ type: 'alpha', status: 'succeeded' })).toEqual([]);
    expect(await ids({ type: 'gamma' })).toEqual([]);
    expect(await ids({ status: 'failed' })).toEqual([]);
    const filtered = await allPages(f, { type: 'beta', status: 'queued', limit: 2 });
    expect(filtered.flat().map((job) => job.id)).toEqual(newestFirst(jobs['b-queued']!));
  });

  it('pages through a sparse status-and-type combination within a bounded scan', async () => {
    const f = new Fixture(redis);
    const many = 2_100;
    // Two old queued "other" jobs, then 2100 queued "bulk" jobs and 2100 running "other" jobs: both
    // indexes are large, their intersection tiny and at the far end of either.
    const put = (type: string) => async () => {
      const id = f.store.prepareSubmission({ type }).id;
      await f.hooks.call('put', id, { vars: { type, params: '{}', maxAttempts: '3' } });
      return id;
    };
    const wanted = [await put('other')(), await put('other')()].reverse();
    await Promise.all(Array.from({ length: many }, put('bulk')));
    const running = await Promise.all(Array.from({ length: many }, put('other')));
    await Promise.all(running.map((id) => f.hooks.call('reserve', id, { token: 't', attempt: 1, consumer: 'w' })));
    const pages = await allPages(f, { status: 'queued', type: 'other', limit: 50 });
    expect(pages.flat().map((job) => job.id)).toEqual(wanted);
    // The first call ran out of budget before the matches: a short page, and a cursor to go on.
    expect(pages.length).toBeGreaterThan(1);
    expect(pages[0]).toEqual([]);
  });
});

describe('counts', () => {
  it('counts jobs by status without scanning, through every transition', async () => {
    const f = new Fixture(redis);
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 0, delayed: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 });
    const ids = [];
    for (let n = 0; n < 6; n += 1) ids.push((await f.submit()).id);
    await f.submit({ type: 'later', delayMs: 60_000 });
    const [s, fl, c, r, d] = ids as [string, string, string, string, string];
    await f.succeed(s, await f.start(s));
    await f.hooks.call('dead', fl, { token: await f.start(fl), attempt: 1, reason: 'x' });
    await f.hooks.call('cancelJob', c);
    await f.start(r);
    await f.hooks.call('retry', d, { token: await f.start(d), attempt: 1, delayMs: 60_000, reason: 'x' });
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 1, delayed: 2, running: 1, succeeded: 1, failed: 1, cancelled: 1 });
    // Live statuses are counted by their moves (one HINCRBY per transition), failed and cancelled by
    // their indexes, succeeded by what else the finished index holds: nothing is scanned.
    const base = f.store.keyBase;
    expect(await redis.hgetall(`${base}:moves`)).toEqual({
      '>queued': '6', '>delayed': '1', 'queued>running': '4', 'running>succeeded': '1', 'running>failed': '1',
      'queued>cancelled': '1', 'running>delayed': '1',
    });
    expect([await redis.zcard(`${base}:status:failed`), await redis.zcard(`${base}:status:cancelled`), await redis.zcard(`${base}:finished`)])
      .toEqual([1, 1, 3]);
  });
});
