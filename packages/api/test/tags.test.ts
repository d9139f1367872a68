import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot, startApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ids = (answer: { body: { jobs: Array<{ id: string }> } }): string[] => answer.body.jobs.map((job) => job.id);

describe('tags', () => {
  it('ride on POST /jobs and batch items, come back on the job, and filter GET /jobs', async () => {
    const one = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', tags: ['customer:42', 'order@1'] } });
    expect(one.status).toBe(201);
    expect(one.body.tags).toEqual(['customer:42', 'order@1']);
    expect((await call(api.base, 'GET', `/jobs/${one.body.id}`)).body.tags).toEqual(['customer:42', 'order@1']);
    const batch = await call(api.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo', tags: ['customer:42'] }, { type: 'echo' }, { type: 'other', tags: ['customer:7'] }] } });
    expect(batch.status).toBe(201);
    expect(batch.body.jobs.map((job: { tags: string[] }) => job.tags)).toEqual([['customer:42'], [], ['customer:7']]);

    const tagged = await call(api.base, 'GET', '/jobs?tag=customer:42');
    expect(ids(tagged)).toEqual([batch.body.jobs[0].id, one.body.id]);
    const paged = await call(api.base, 'GET', '/jobs?tag=customer%3A42&limit=1');
    expect(ids(paged)).toEqual([batch.body.jobs[0].id]);
    expect(ids(await call(api.base, 'GET', `/jobs?tag=customer:42&limit=1&cursor=${paged.body.nextCursor}`))).toEqual([one.body.id]);
    expect(ids(await call(api.base, 'GET', '/jobs?tag=customer:7&type=other&status=queued'))).toEqual([batch.body.jobs[2].id]);
    expect((await call(api.base, 'GET', '/jobs?tag=nobody')).body).toEqual({ jobs: [], nextCursor: null });
  });

  it('GET /jobs filters by createdAfter (inclusive) and createdBefore (exclusive)', async () => {
    const before = (await call(api.base, 'POST', '/jobs', { body: { type: 'timed' } })).body;
    await sleep(15);
    const inside = (await call(api.base, 'POST', '/jobs', { body: { type: 'timed' } })).body;
    await sleep(15);
    const after = (await call(api.base, 'POST', '/jobs', { body: { type: 'timed' } })).body;
    const window = `createdAfter=${encodeURIComponent(inside.createdAt)}&createdBefore=${encodeURIComponent(after.createdAt)}`;
    expect(ids(await call(api.base, 'GET', `/jobs?type=timed&${window}`))).toEqual([inside.id]);
    expect(ids(await call(api.base, 'GET', `/jobs?type=timed&createdBefore=${encodeURIComponent(inside.createdAt)}`))).toEqual([before.id]);
    const offset = new Date(Date.parse(after.createdAt)).toISOString().replace('Z', '+00:00');
    expect(ids(await call(api.base, 'GET', `/jobs?type=timed&createdAfter=${encodeURIComponent(offset)}`))).toEqual([after.id]);
    expect(ids(await call(api.base, 'GET', '/jobs?type=timed&createdAfter=2000-01-01&createdBefore=2001-01-01'))).toEqual([]);
  });

  it('bad tags and times are 400 naming the field, and write nothing', async () => {
    const state = await snapshot(api.redis, api.keyBase);
    const refused = async (body: unknown, field: string) => {
      const answer = await call(api.base, 'POST', '/jobs', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.message).toContain(field);
    };
    await refused({ type: 'echo', tags: 'one' }, 'tags');
    await refused({ type: 'echo', tags: Array.from({ length: 9 }, (_, n) => `t${n}`) }, 'tags');
    await refused({ type: 'echo', tags: ['ok', 'not ok'] }, 'tags[1]');
    await refused({ type: 'echo', tags: ['a,b'] }, 'tags[0]');
    await refused({ type: 'echo', tags: [''] }, 'tags[0]');
    await refused({ type: 'echo', tags: ['same', 'same'] }, 'tags[1]');
    const batch = await call(api.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo' }, { type: 'echo', tags: ['x', 'x'] }] } });
    expect(batch.status).toBe(400);
    expect(batch.body.error.message).toContain('jobs[1].tags[1]');
    for (const [query, field] of [
      ['tag=a%20b', 'tag'], ['createdAfter=yesterday', 'createdAfter'], ['createdBefore=2026-01-01T10:00', 'createdBefore'],
      ['createdAfter=1969-12-31T00:00:00Z', 'createdAfter'], ['createdBefore=2026-02-30', 'createdBefore'],
    ] as const) {
      const answer = await call(api.base, 'GET', `/jobs?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.message, query).toContain(field);
    }
    expect(await snapshot(api.redis, api.keyBase)).toEqual(state);
  });
});
