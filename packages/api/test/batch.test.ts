// POST /jobs/batch over real HTTP on a real Redis: order, all-or-nothing validation, idempotency per
// item, tokens, and jobs a worker can take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobBatch } from '../src/internal/schemas.js';
import { call, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const batch = (body: unknown, token?: string, target = api) => call(target.base, 'POST', '/jobs/batch', { body, ...(token ? { token } : {}) });

describe('POST /jobs/batch', () => {
  it('creates every job, answered 201 in the order sent, each readable and listed', async () => {
    const jobs = Array.from({ length: 25 }, (_, n) => ({ type: 'echo', params: { n } }));
    jobs[3] = { type: 'sleep', params: { n: 3 }, delayMs: 60_000, maxAttempts: 5, timeoutMs: 1_000 } as (typeof jobs)[number];
    const answer = await batch({ jobs });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBeNull();
    expect(JobBatch.parse(answer.body)).toBeTruthy();
    expect(answer.body.jobs.map((job: { params: { n: number } }) => job.params.n)).toEqual(jobs.map((_, n) => n));
    expect(answer.body.jobs[3]).toMatchObject({ type: 'sleep', status: 'delayed', maxAttempts: 5, timeoutMs: 1_000 });
    expect(answer.body.jobs[0]).toMatchObject({ type: 'echo', status: 'queued', attempts: 0, maxAttempts: 3 });
    for (const job of [answer.body.jobs[0], answer.body.jobs[3], answer.body.jobs[24]]) {
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body).toEqual(job);
    }
  });

  it('queues the jobs for workers in the order sent', async () => {
    const own = await startApi();
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    try {
      const answer = await batch({ jobs: Array.from({ length: 5 }, (_, n) => ({ type: 'echo', params: { n } })) }, undefined, own);
      const taken: string[] = [];
      for (let n = 0; n < 5; n += 1) taken.push((await consumer.take()).id);
      expect(taken).toEqual(answer.body.jobs.map((job: { id: string }) => job.id));
    } finally {
      await consumer.close();
      await own.close();
    }
  });

  it('takes 1,000 jobs and refuses 0 or 1,001', async () => {
    const full = await batch({ jobs: Array.from({ length: 1_000 }, () => ({ type: 'echo' })) });
    expect(full.status).toBe(201);
    expect(new Set(full.body.jobs.map((job: { id: string }) => job.id)).size).toBe(1_000);
    for (const jobs of [[], Array.from({ length: 1_001 }, () => ({ type: 'echo' }))]) {
      const answer = await batch({ jobs });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toBe('jobs: must be an array of 1 to 1000 jobs');
    }
  });

  it('refuses a bad item with 400 naming its index and field, and creates nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{ jobs: [{ type: 'echo' }, { type: 'Bad Type' }] }, 'jobs[1].type: must match [a-z0-9][a-z0-9_.-]{0,63}'],
      [{ jobs: [{ type: 'echo' }, { type: 'echo' }, { type: 'echo', maxAttempts: 0 }] }, 'jobs[2].maxAttempts: must be an integer from 1 to 100'],
      [{ jobs: [{ type: 'echo', params: [] }] }, 'jobs[0].params: must be a JSON object'],
      [{ jobs: [{ type: 'echo', urgency: 1 }] }, 'jobs[0]: unknown field(s): urgency'],
      [{ jobs: [{ type: 'echo' }, 'echo'] }, 'jobs[1]: must be a JSON object'],
      [{ jobs: [{ type: 'echo' }], extra: 1 }, 'body: unknown field(s): extra'],
      [{ jobs: { type: 'echo' } }, 'jobs: must be an array of 1 to 1000 jobs'],
      [{}, 'jobs: must be an array of 1 to 1000 jobs'],
      [[{ type: 'echo' }], 'body: must be a JSON object'],
      // jobs-store's own check (params nested too deep) is named by item too.
      [{ jobs: [{ type: 'echo' }, { type: 'echo', params: { a: JSON.parse('['.repeat(150) + ']'.repeat(150)) } }] }, 'jobs[1].params'],
    ];
    const before = await snapshot(api.redis, api.keyBase);
    for (const [body, message] of cases) {
      const answer = await batch(body);
      expect(answer.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
      expect(answer.body.error.message).toContain(message);
    }
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('lists every broken field of every item in details, at most 100', async () => {
    const answer = await batch({ jobs: [{ type: 'echo' }, { type: 7, maxAttempts: 'x' }, ...Array.from({ length: 200 }, () => ({ type: '' }))] });
    expect(answer.status).toBe(400);
    expect(answer.body.error.details.fields.slice(0, 2)).toEqual([
      { in: 'body', field: 'jobs[1].type', rule: 'must be a string' },
      { in: 'body', field: 'jobs[1].maxAttempts', rule: 'must be an integer from 1 to 100' },
    ]);
    expect(answer.body.error.details.fields).toHaveLength(100);
  });

  it('answers an item whose idempotencyKey was used with that job, and creates the others', async () => {
    const first = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', params: { first: true }, idempotencyKey: 'batch-key-1' } });
    expect(first.status).toBe(201);
    const answer = await batch({ jobs: [{ type: 'echo', params: { n: 0 } }, { type: 'echo', params: { n: 1 }, idempotencyKey: 'batch-key-1' }, { type: 'echo', params: { n: 2 }, idempotencyKey: 'batch-key-2' }] });
    expect(answer.status).toBe(201);
    expect(answer.body.jobs[1]).toEqual(first.body);
    expect(answer.body.jobs[2].params).toEqual({ n: 2 });
    // The key set by the batch works for single submissions too, and for a second batch.
    const single = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', idempotencyKey: 'batch-key-2' } });
    expect(single.status).toBe(200);
    expect(single.body).toEqual(answer.body.jobs[2]);
    const before = await snapshot(api.redis, api.keyBase);
    const again = await batch({ jobs: [{ type: 'echo', idempotencyKey: 'batch-key-1' }, { type: 'echo', idempotencyKey: 'batch-key-2' }] });
    expect(again.status).toBe(201);
    expect(again.body.jobs).toEqual([first.body, answer.body.jobs[2]]);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('makes one job of two items with the same idempotencyKey in one batch', async () => {
    const answer = await batch({ jobs: [{ type: 'echo', params: { n: 0 }, idempotencyKey: 'twice' }, { type: 'echo', params: { n: 1 }, idempotencyKey: 'twice' }] });
    expect(answer.status).toBe(201);
    expect(answer.body.jobs[1]).toEqual(answer.body.jobs[0]);
    expect(answer.body.jobs[0].params).toEqual({ n: 0 });
  });

  it('refuses what is not JSON, and takes no query', async () => {
    const text = await call(api.base, 'POST', '/jobs/batch', { raw: '{"jobs":[]}', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const none = await call(api.base, 'POST', '/jobs/batch');
    expect(none.status).toBe(400);
    expect(none.body.error.message).toBe('body: required: a JSON object');
    const query = await call(api.base, 'POST', '/jobs/batch?x=1', { body: { jobs: [{ type: 'echo' }] } });
    expect(query.status).toBe(400);
  });
});

describe('POST /jobs/batch with tokens', () => {
  const FULL = 'batch-full-token-1';
  const READ = 'batch-read-token-2';
  let guarded: TestApi;
  beforeAll(async () => {
    guarded = await startApi({ apiToken: FULL, readToken: READ });
  });
  afterAll(async () => {
    await guarded.close();
  });

  it('needs the write token: none or a wrong one is 401, the read token 403, and nothing is written', async () => {
    const body = { jobs: [{ type: 'echo' }] };
    const before = await snapshot(guarded.redis, guarded.keyBase);
    expect((await batch(body, undefined, guarded)).status).toBe(401);
    expect((await batch(body, 'nope', guarded)).status).toBe(401);
    const read = await batch(body, READ, guarded);
    expect(read.status).toBe(403);
    expect(read.body.error.code).toBe('forbidden');
    // Authentication comes before validation: a bad body with the read token is still 403.
    expect((await batch({ jobs: 'x' }, READ, guarded)).status).toBe(403);
    expect(await snapshot(guarded.redis, guarded.keyBase)).toEqual(before);
    expect((await batch(body, FULL, guarded)).status).toBe(201);
  });
});
