// Schedules of jobs through the real TaskQueue (docs/decisions/0019): each occurrence is a job with
// schedule { id, dueAt }; one that already ran is never made again, even if the schedule's state
// were to go back; a schedule's job is checked as a submission is; the API's view of a schedule.
import { Redis } from 'ioredis';
import { TaskQueue } from '@hotq/queue-core';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobInputError, JobsStore, type JobMessage, type ScheduleInput } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

function setup() {
  const name = uniqueName('sched');
  const store = new JobsStore({ redis, queue: name });
  const queue = new TaskQueue<JobMessage>({ redis, name, hooks: store.queueHooks() });
  return { store, queue };
}

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('occurrences are jobs', () => {
  it('carry schedule { id, dueAt } and the schedule job, and are never made twice', async () => {
    const { store, queue } = setup();
    const start = (await redisNow()) + 1_000;
    const spec = store.prepareSchedule({
      job: { type: 'report', params: { day: 'today' }, maxAttempts: 2, timeoutMs: 5000, priority: 3 },
      everyMs: 1000, startAt: new Date(start).toISOString(),
    });
    await queue.setSchedule('daily-report', spec);
    await sleep(start + 50 - (await redisNow()));
    const { messages } = await queue.reserve({ count: 5 });
    expect(messages).toHaveLength(1);
    const job = await store.get(messages[0]!.id);
    expect(job).toMatchObject({
      type: 'report', params: { day: 'today' }, status: 'running', maxAttempts: 2, timeoutMs: 5000, priority: 3,
      schedule: { id: 'daily-report', dueAt: new Date(start).toISOString() },
    });
    expect((await store.list({ type: 'report' })).jobs[0]?.schedule).toEqual({ id: 'daily-report', dueAt: new Date(start).toISOString() });
    await queue.ack(messages[0]!, store.completion({ ok: true }));
    expect((await store.get(messages[0]!.id))?.status).toBe('succeeded');

    // Were the schedule's state to go back (a lost write), the occurrence that ran is not made again:
    // its id is the schedule's and the due time's, and the store refuses to revive a finished job.
    const key = `${queue.keyBase}:schedule:daily-report`;
    await redis.hdel(key, 'last');
    await redis.hset(key, 'next', String(start));
    await redis.zadd(`${queue.keyBase}:schedules`, start, 'daily-report');
    await queue.reserve({ count: 5 });
    expect((await store.get(messages[0]!.id))?.status).toBe('succeeded');
    expect((await store.counts()).queued).toBe(0);
  });

  it('run now makes a job at once; the API view shows the schedule', async () => {
    const { store, queue } = setup();
    const { schedule } = await queue.setSchedule('nightly', store.prepareSchedule({
      job: { type: 'backup' }, cron: '0 3 * * *', tz: 'Europe/Berlin', misfire: { max: 2 }, overlap: 'allow', limit: 10,
    }));
    const view = store.toJobSchedule(schedule);
    expect(view).toMatchObject({
      id: 'nightly', job: { type: 'backup', params: {}, maxAttempts: 3, timeoutMs: null, priority: 0 }, cron: '0 3 * * *', tz: 'Europe/Berlin',
      everyMs: null, startAt: null, endAt: null, limit: 10, misfire: { max: 2 }, overlap: 'allow', paused: false, ended: false,
      lastDueAt: null, lastJobId: null, count: 0,
    });
    // 03:00 in Berlin is 01:00 or 02:00 UTC.
    expect(view.nextAt).toMatch(/T0[12]:00:00\.000Z$/);
    const run = await queue.runSchedule('nightly');
    const job = await store.get(run!.id);
    expect(job).toMatchObject({ type: 'backup', status: 'queued', schedule: { id: 'nightly', dueAt: new Date(run!.dueAt).toISOString() } });
    expect(store.toJobSchedule((await queue.getSchedule('nightly'))!).lastJobId).toBe(run!.id);
  });
});

describe('a schedule job is checked as a submission', () => {
  const good: ScheduleInput = { job: { type: 'x' }, everyMs: 1000 };
  const cases: Array<[string, unknown, string]> = [
    ['no job', { everyMs: 1000 }, 'job'],
    ['a bad type', { ...good, job: { type: 'Bad Type' } }, 'job.type'],
    ['params not an object', { ...good, job: { type: 'x', params: [1] } }, 'job.params'],
    ['a delay', { ...good, job: { type: 'x', delayMs: 5 } }, 'job.delayMs'],
    ['an idempotency key', { ...good, job: { type: 'x', idempotencyKey: 'k' } }, 'job.idempotencyKey'],
    ['maxAttempts 0', { ...good, job: { type: 'x', maxAttempts: 0 } }, 'job.maxAttempts'],
    ['startAt without a zone', { ...good, startAt: '2026-01-01T10:00:00' }, 'startAt'],
    ['endAt not a time', { ...good, endAt: 'tomorrow' }, 'endAt'],
    ['an unknown field', { ...good, every: 1000 }, 'every'],
  ];
  it.each(cases)('refuses %s, naming the field', (_name, input, field) => {
    const { store } = setup();
    let error: unknown;
    try {
      store.prepareSchedule(input as ScheduleInput);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JobInputError);
    expect((error as JobInputError).field).toBe(field);
  });

  it('and the queue refuses bad times before writing anything', async () => {
    const { store, queue } = setup();
    await expect(queue.setSchedule('s', store.prepareSchedule({ job: { type: 'x' }, cron: 'not cron at all' })))
      .rejects.toMatchObject({ code: 'invalid_argument', argument: 'cron' });
    expect(await redis.keys(`${queue.keyBase}:*`)).toEqual([]);
  });
});
