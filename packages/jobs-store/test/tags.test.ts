import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Job } from '../src/index.js';
import { QueueFixture } from './_queue.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every page of a query, following nextCursor. */
async function all(f: QueueFixture, query: Record<string, unknown>): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | undefined;
  do {
    const page = await f.store.list({ ...query, ...(cursor ? { cursor } : {}) });
    jobs.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return jobs;
}

describe('tags', () => {
  it('are kept on the job; list finds the jobs of a tag, newest first, in pages, with the other filters', async () => {
    const f = new QueueFixture(redis);
    const jobs = await f.submit(Array.from({ length: 30 }, (_, n) => ({
      type: n % 2 ? 'odd' : 'even',
      params: { n },
      ...(n % 3 === 0 ? { tags: ['customer:42', `order@${n}`] } : n % 3 === 1 ? { tags: ['customer:7'] } : {}),
    })));
    expect(jobs[0]!.tags).toEqual(['customer:42', 'order@0']);
    expect(await f.store.get(jobs[0]!.id)).toEqual(jobs[0]);
    expect((await f.store.get(jobs[2]!.id))?.tags).toEqual([]);

    const of42 = jobs.filter((_, n) => n % 3 === 0).map((job) => job.id).reverse();
    expect((await all(f, { tag: 'customer:42', limit: 4 })).map((job) => job.id)).toEqual(of42);
    expect((await all(f, { tag: 'order@9' })).map((job) => job.id)).toEqual([jobs[9]!.id]);
    expect((await all(f, { tag: 'customer:42', type: 'odd' })).map((job) => job.id)).toEqual(jobs.filter((_, n) => n % 6 === 3).map((j) => j.id).reverse());
    await f.finish(3, 'succeed');
    expect((await all(f, { tag: 'customer:42', status: 'succeeded' })).map((job) => job.id)).toEqual([jobs[0]!.id]);
    expect((await all(f, { tag: 'customer:7', status: 'queued' })).map((job) => job.id)).toEqual(
      jobs.filter((_, n) => n % 3 === 1 && n > 2).map((job) => job.id).reverse(),
    );
    expect(await f.store.list({ tag: 'nobody' })).toEqual({ jobs: [], nextCursor: null });
    await f.close();
  });

  it('cost nothing to an untagged job, and leave with their job: delete, purge, retry', async () => {
    const f = new QueueFixture(redis, { retentionMs: 3_000 });
    const [plain] = await f.submit([{ type: 'echo' }]);
    expect(await redis.hexists(`${f.store.keyBase}:job:${plain!.id}`, 'g')).toBe(0);
    expect((await f.keys()).filter((key) => key.includes(':tag:'))).toEqual([]);

    const [deleted, purged, retried] = await f.submit([
      { type: 'echo', tags: ['a', 'shared'] }, { type: 'echo', tags: ['b', 'shared'] }, { type: 'echo', tags: ['c', 'shared'] },
    ]);
    expect((await f.keys()).filter((key) => key.includes(':tag:'))).toHaveLength(4);
    await f.finish(2, 'succeed'); // plain and deleted
    await f.finish(1, 'succeed'); // purged
    await f.finish(1, 'fail'); // retried
    expect(await f.store.delete(deleted!.id)).toBe(true);
    expect((await all(f, { tag: 'shared' })).map((job) => job.id)).toEqual([retried!.id, purged!.id]);
    expect(await redis.exists(`${f.store.keyBase}:tag:a`)).toBe(0);

    // A retried job keeps its tags, and its entries, through its second run.
    const retry = await f.store.prepareRetry(retried!.id);
    await f.queue.put(retry!.payload, retry!.put);
    expect((await f.store.get(retried!.id))?.tags).toEqual(['c', 'shared']);
    await sleep(2_000);
    await f.finish(1, 'succeed');
    // The first three reach the end of their retention; Redis may expire their hashes before the
    // purge, which still finds their tags in the finished index.
    await sleep(1_100);
    await f.store.purgeExpired();
    expect((await all(f, { tag: 'shared' })).map((job) => job.id)).toEqual([retried!.id]);
    expect((await f.keys()).filter((key) => key.includes(':tag:'))).toEqual([`${f.store.keyBase}:tag:c`, `${f.store.keyBase}:tag:shared`]);
    await sleep(2_000);
    await f.store.purgeExpired();
    expect((await f.keys()).filter((key) => key.includes(':tag:') || key.includes(':job:'))).toEqual([]);
    await f.close();
  });

  it('are refused, naming the tag, unless 1 to 8 distinct tags of 1 to 64 [A-Za-z0-9_.:@-]', async () => {
    const f = new QueueFixture(redis);
    const cases: Array<[unknown, string]> = [
      ['one', 'tags'], [Array.from({ length: 9 }, (_, n) => `t${n}`), 'tags'], [[''], 'tags[0]'], [['a', 'x'.repeat(65)], 'tags[1]'],
      [['a,b'], 'tags[0]'], [['sp ace'], 'tags[0]'], [['ok', 'ok'], 'tags[1]'], [[7], 'tags[0]'], [['é'], 'tags[0]'],
    ];
    for (const [tags, field] of cases) {
      expect(() => f.store.prepareSubmission({ type: 'echo', tags } as never), JSON.stringify(tags)).toThrow(expect.objectContaining({ field }));
    }
    expect(f.store.prepareSubmission({ type: 'echo', tags: [] }).job.tags).toEqual([]);
    expect(f.store.prepareSubmission({ type: 'echo', tags: Array.from({ length: 8 }, (_, n) => `${'x'.repeat(63)}${n}`) }).put.vars.tags).toHaveLength(8 * 65 - 1);
    // The hooks refuse tags that did not come from prepareSubmission, before anything is written.
    const prepared = f.store.prepareSubmission({ type: 'echo' });
    for (const tags of ['a,,b', ',a', 'a b', Array.from({ length: 9 }, (_, n) => `t${n}`).join(',')]) {
      await expect(f.queue.put(prepared.payload, { ...prepared.put, vars: { ...prepared.put.vars, tags } })).rejects.toThrow(/prepareSubmission/);
    }
    expect((await f.keys()).filter((key) => !key.endsWith(':layout'))).toEqual([]);
    await f.close();
  });
});

describe('creation time filters', () => {
  it('createdAfter (inclusive) and createdBefore (exclusive) select by the id, with status, type and tag', async () => {
    const f = new QueueFixture(redis);
    const early = await f.submit([{ type: 'echo', tags: ['t'] }, { type: 'other' }]);
    await sleep(20);
    const middle = await f.submit([{ type: 'echo', tags: ['t'] }, { type: 'other' }]);
    await sleep(20);
    const late = await f.submit([{ type: 'echo', tags: ['t'] }]);
    const from = middle[0]!.createdAt;
    const to = late[0]!.createdAt;
    const ids = (jobs: Job[]) => jobs.map((job) => job.id);
    expect(ids(await all(f, { createdAfter: from, createdBefore: to }))).toEqual(ids(middle).reverse());
    expect(ids(await all(f, { createdAfter: new Date(from), createdBefore: new Date(to), limit: 1 }))).toEqual(ids(middle).reverse());
    expect(ids(await all(f, { createdBefore: from }))).toEqual(ids(early).reverse());
    expect(ids(await all(f, { createdAfter: to }))).toEqual(ids(late));
    expect(ids(await all(f, { createdAfter: from, tag: 't' }))).toEqual([late[0]!.id, middle[0]!.id]);
    expect(ids(await all(f, { createdBefore: to, type: 'other' }))).toEqual([middle[1]!.id, early[1]!.id]);
    expect(ids(await all(f, { createdAfter: to, createdBefore: from }))).toEqual([]);
    // A cursor below createdBefore goes on from the cursor.
    const first = await f.store.list({ createdBefore: to, limit: 1 });
    expect(ids(first.jobs)).toEqual([middle[1]!.id]);
    expect(ids((await f.store.list({ createdBefore: to, limit: 1, cursor: first.nextCursor! })).jobs)).toEqual([middle[0]!.id]);
    await f.close();
  });

  it('refuse anything but an ISO-8601 date or date-time from 1970 to 9999, naming the field', async () => {
    const f = new QueueFixture(redis);
    for (const value of ['yesterday', '2026-13-01', '2026-02-30', '2026-01-01T24:00Z', '1969-12-31T23:59:59Z', '2026-01-01T10:00', 12, new Date(Number.NaN), '']) {
      await expect(f.store.list({ createdAfter: value as never })).rejects.toMatchObject({ code: 'invalid_request', field: 'createdAfter' });
      await expect(f.store.list({ createdBefore: value as never })).rejects.toMatchObject({ code: 'invalid_request', field: 'createdBefore' });
    }
    await expect(f.store.list({ tag: 'a b' })).rejects.toMatchObject({ field: 'tag' });
    expect((await f.store.list({ createdAfter: '2026-01-31', createdBefore: '9999-12-31T23:59:59.999+00:00' })).jobs).toEqual([]);
    await f.close();
  });
});
