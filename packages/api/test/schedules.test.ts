// The /schedules routes over real HTTP (docs/decisions/0019): create or replace (idempotent), list
// with next due times, read, pause, resume, run now, delete; occurrences as jobs; bad input is a 400
// naming the field with nothing written; writes need the write token; two APIs at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

const FULL = 'full-token-for-schedules';
const READ = 'read-token-for-schedules';
let api: TestApi;
let other: TestApi;

beforeAll(async () => {
  api = await startApi({ apiToken: FULL, readToken: READ });
  // A second API process on the same queue, as a deployment with several would have.
  other = await startApi({ apiToken: FULL, readToken: READ, prefix: api.prefix, queue: api.queue });
});
afterAll(async () => {
  await other.close();
  await api.close();
});

const put = (base: string, id: string, body: unknown, token = FULL) => call(base, 'PUT', `/schedules/${id}`, { body, token });

async function redisNow(): Promise<number> {
  const [seconds, micros] = await api.redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('schedules over HTTP', () => {
  it('PUT creates (201) once, whichever API gets it, and the same body again is 200 with nothing changed', async () => {
    const startAt = new Date((await redisNow()) + 60_000).toISOString();
    const body = { job: { type: 'report', params: { scope: 'all' }, priority: 5 }, everyMs: 60_000, startAt };
    const answers = await Promise.all([put(api.base, 'hourly', body), put(other.base, 'hourly', body), put(api.base, 'hourly', body)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 201]);
    const created = answers.find((answer) => answer.status === 201)!;
    expect(created.headers.get('location')).toBe('/schedules/hourly');
    expect(created.body).toEqual({
      id: 'hourly', job: { type: 'report', params: { scope: 'all' }, maxAttempts: 3, timeoutMs: null, priority: 5 },
      cron: null, tz: null, everyMs: 60_000, startAt, endAt: null, limit: null, misfire: 'one', overlap: 'skip',
      paused: false, ended: false, nextAt: startAt, lastDueAt: null, lastJobId: null, count: 0,
    });
    expect((await call(api.base, 'GET', '/schedules/hourly', { token: READ })).body).toEqual(created.body);

    const replaced = await put(api.base, 'hourly', { ...body, job: { type: 'report', params: { scope: 'some' } } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.job.params).toEqual({ scope: 'some' });
  });

  it('GET /schedules lists them by id with nextAt; a cron schedule in a time zone', async () => {
    const answer = await put(api.base, 'a-nightly', { job: { type: 'backup' }, cron: '30 2 * * *', tz: 'Europe/Berlin', misfire: { max: 2 } });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ cron: '30 2 * * *', tz: 'Europe/Berlin', everyMs: null, misfire: { max: 2 } });
    // 02:30 in Berlin is 00:30 or 01:30 UTC (01:00 on the day the clocks go forward).
    expect(answer.body.nextAt).toMatch(/T0[01]:[03]0:00\.000Z$/);
    const list = await call(api.base, 'GET', '/schedules', { token: READ });
    expect(list.status).toBe(200);
    expect(list.body.schedules.map((s: { id: string }) => s.id)).toEqual(['a-nightly', 'hourly']);
    expect(list.body.schedules.every((s: { nextAt: string | null }) => typeof s.nextAt === 'string')).toBe(true);
    expect(list.body.nextCursor).toBeNull();
    // Paged by id with the cursor.
    const first = await call(api.base, 'GET', '/schedules?limit=1', { token: READ });
    expect(first.body.schedules.map((s: { id: string }) => s.id)).toEqual(['a-nightly']);
    expect(first.body.nextCursor).toBe('a-nightly');
    const second = await call(api.base, 'GET', `/schedules?limit=1&cursor=${first.body.nextCursor}`, { token: READ });
    expect(second.body).toMatchObject({ schedules: [{ id: 'hourly' }], nextCursor: null });
    const bad = await call(api.base, 'GET', '/schedules?limit=0&cursor=%7Bx', { token: READ });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/limit: must be an integer from 1 to 1000/);
  });

  it('pause, resume, run now (a job with schedule { id, dueAt }) and delete', async () => {
    await put(api.base, 'ops', { job: { type: 'echo', params: { n: 1 } }, everyMs: 3_600_000 });
    const paused = await call(api.base, 'POST', '/schedules/ops/pause', { token: FULL });
    expect(paused.body).toMatchObject({ paused: true, nextAt: null });
    const resumed = await call(other.base, 'POST', '/schedules/ops/resume', { token: FULL });
    expect(resumed.body).toMatchObject({ paused: false });
    expect(typeof resumed.body.nextAt).toBe('string');

    const run = await call(api.base, 'POST', '/schedules/ops/run', { token: FULL });
    expect(run.status).toBe(201);
    expect(run.headers.get('location')).toBe(`/jobs/${run.body.id}`);
    expect(run.body).toMatchObject({ type: 'echo', params: { n: 1 }, status: 'queued', schedule: { id: 'ops' } });
    expect(Date.parse(run.body.schedule.dueAt)).toBeGreaterThan(0);
    expect((await call(api.base, 'GET', `/jobs/${run.body.id}`, { token: READ })).body.schedule).toEqual(run.body.schedule);
    expect((await call(api.base, 'GET', '/schedules/ops', { token: READ })).body.lastJobId).toBe(run.body.id);

    const deleted = await call(api.base, 'DELETE', '/schedules/ops', { token: FULL });
    expect(deleted).toMatchObject({ status: 200, body: { id: 'ops', deleted: true } });
    for (const [method, path] of [['GET', '/schedules/ops'], ['DELETE', '/schedules/ops'], ['POST', '/schedules/ops/run'], ['POST', '/schedules/ops/pause'], ['POST', '/schedules/ops/resume']] as const) {
      const answer = await call(api.base, method, path, { token: FULL });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
    }
    // The job it made stays.
    expect((await call(api.base, 'GET', `/jobs/${run.body.id}`, { token: READ })).body.status).toBe('queued');
  });

  it('makes occurrences that a worker takes as jobs', async () => {
    // A queue of its own: nothing else in it for the worker to take.
    const own = await startApi({ apiToken: FULL, readToken: READ });
    const startAt = (await redisNow()) + 1_000;
    await put(own.base, 'soon', { job: { type: 'tick' }, everyMs: 1_000, startAt: new Date(startAt).toISOString(), limit: 1 });
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    await new Promise((resolve) => setTimeout(resolve, startAt + 100 - Date.now()));
    const id = await consumer.runOne({ ok: 1 });
    const job = await call(own.base, 'GET', `/jobs/${id}`, { token: READ });
    expect(job.body).toMatchObject({ type: 'tick', status: 'succeeded', schedule: { id: 'soon', dueAt: new Date(startAt).toISOString() } });
    expect((await call(own.base, 'GET', '/schedules/soon', { token: READ })).body).toMatchObject({ ended: true, count: 1, lastJobId: id, nextAt: null });
    await consumer.close();
    await own.close();
  });
});

describe('bad input and tokens', () => {
  const cases: Array<[string, unknown, string]> = [
    ['neither cron nor everyMs', { job: { type: 'x' } }, 'cron'],
    ['both cron and everyMs', { job: { type: 'x' }, cron: '* * * * *', everyMs: 1000 }, 'everyMs'],
    ['an interval below the minimum', { job: { type: 'x' }, everyMs: 999 }, 'everyMs'],
    ['an invalid cron', { job: { type: 'x' }, cron: '* * * 13 *' }, 'cron'],
    ['an unknown time zone', { job: { type: 'x' }, cron: '0 * * * *', tz: 'Europe/Atlantis' }, 'tz'],
    ['a job without a type', { job: {}, everyMs: 1000 }, 'job.type'],
    ['an unknown field', { job: { type: 'x' }, everyMs: 1000, every: 1 }, 'every'],
    ['endAt before startAt', { job: { type: 'x' }, everyMs: 1000, startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' }, 'endAt'],
    ['a bad misfire', { job: { type: 'x' }, everyMs: 1000, misfire: 'all' }, 'misfire'],
  ];
  it.each(cases)('%s: 400 naming the field, nothing written', async (_name, body, field) => {
    const before = await snapshot(api.redis, api.keyBase);
    const answer = await put(api.base, 'bad', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
    expect(answer.body.error.details.fields[0].field).toContain(field);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('a malformed id is 400; the read token cannot write (403) but can read', async () => {
    expect((await put(api.base, 'no%20spaces', { job: { type: 'x' }, everyMs: 1000 })).status).toBe(400);
    expect((await put(api.base, 'ro', { job: { type: 'x' }, everyMs: 1000 }, READ)).status).toBe(403);
    expect((await call(api.base, 'POST', '/schedules/hourly/run', { token: READ })).status).toBe(403);
    expect((await call(api.base, 'DELETE', '/schedules/hourly', { token: READ })).status).toBe(403);
    expect((await call(api.base, 'GET', '/schedules', { token: READ })).status).toBe(200);
    expect((await call(api.base, 'GET', '/schedules')).status).toBe(401);
  });
});
