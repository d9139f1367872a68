// Schedules at the TaskQueue level (docs/decisions/0019): occurrences made by reserve, their ids,
// misfire and overlap policies, edit, pause, resume, run now, delete, cron refills, bad input.
// Many processes, a Redis restart and kill -9 are the worker package's tests.
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, TaskQueue, type ReservedMessage, type TaskQueueOptions } from '../src/index.js';
import { occurrenceId } from '../src/_schedule-spec.js';

let redis: Redis;
const queues: TaskQueue[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  redis.disconnect();
});

function makeQueue(options: Partial<TaskQueueOptions<string>> = {}): TaskQueue<string> {
  const queue = new TaskQueue<string>({ redis, name: uniqueName('sch'), ...options });
  queues.push(queue as TaskQueue);
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function redisNow(): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Reserves (and acks, unless told not to) everything that becomes ready during `ms`. */
async function pump(queue: TaskQueue<string>, ms: number, ack = true): Promise<ReservedMessage<string>[]> {
  const taken: ReservedMessage<string>[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const { messages } = await queue.reserve({ count: 10 });
    taken.push(...messages);
    if (ack) await Promise.all(messages.map((message) => queue.ack(message)));
    await sleep(20);
  }
  return taken;
}

/** The due time of an occurrence, from its id (a ULID whose time part is the due time). */
function dueOf(id: string): number {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...id.slice(0, 10)].reduce((time, char) => time * 32 + alphabet.indexOf(char), 0);
}

describe('interval schedules', () => {
  it('makes one occurrence per interval, each id derived from the schedule and its due time', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 300;
    const { outcome, schedule } = await queue.setSchedule('tick', { payload: 'tick', everyMs: 1000, startAt: start });
    expect(outcome).toBe('created');
    expect(schedule.nextAt).toBe(start);
    const taken = await pump(queue, 3_500);
    const dues = taken.map((message) => dueOf(message.id));
    expect(dues).toEqual([start, start + 1000, start + 2000, start + 3000]);
    expect(taken.map((message) => message.id)).toEqual(dues.map((due) => occurrenceId('tick', due)));
    expect(taken.every((message) => message.payload === 'tick')).toBe(true);
    const after = await queue.getSchedule('tick');
    expect(after).toMatchObject({ count: 4, lastDueAt: start + 3000, nextAt: start + 4000, lastMessageId: occurrenceId('tick', start + 3000) });
  });

  it('without startAt, the first occurrence is one interval after the schedule is set', async () => {
    const queue = makeQueue();
    const before = await redisNow();
    const { schedule } = await queue.setSchedule('first', { payload: 'x', everyMs: 5000 });
    expect(schedule.nextAt).toBeGreaterThanOrEqual(before + 5000);
    expect(schedule.nextAt).toBeLessThan(before + 5500);
  });

  it('setting the same definition again changes nothing; a new one keeps the count and moves the next due time', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 200;
    await queue.setSchedule('s', { payload: 'a', everyMs: 1000, startAt: start });
    const again = await queue.setSchedule('s', { payload: 'a', everyMs: 1000, startAt: start });
    expect(again.outcome).toBe('unchanged');
    await pump(queue, 1_500);
    const edited = await queue.setSchedule('s', { payload: 'b', everyMs: 2000, startAt: start });
    expect(edited.outcome).toBe('replaced');
    // Slots of the new definition: start + 2000k, never one already handled or past.
    expect(edited.schedule.nextAt).toBe(start + 2000);
    expect(edited.schedule.count).toBe(2);
    const taken = await pump(queue, 1_000);
    expect(taken.map((message) => [dueOf(message.id), message.payload])).toEqual([[start + 2000, 'b']]);
  });

  it('stops at its limit and after endAt', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 100;
    await queue.setSchedule('limited', { payload: 'l', everyMs: 1000, startAt: start, limit: 2 });
    await queue.setSchedule('ending', { payload: 'e', everyMs: 1000, startAt: start, endAt: start + 1500 });
    const taken = await pump(queue, 3_300);
    expect(taken.filter((m) => m.payload === 'l').map((m) => dueOf(m.id))).toEqual([start, start + 1000]);
    expect(taken.filter((m) => m.payload === 'e').map((m) => dueOf(m.id))).toEqual([start, start + 1000]);
    expect(await queue.getSchedule('limited')).toMatchObject({ ended: true, nextAt: null, count: 2 });
    expect(await queue.getSchedule('ending')).toMatchObject({ ended: true, nextAt: null });
  });
});

describe('misfire and overlap', () => {
  it('after downtime: skip makes none, one makes the latest, { max: 3 } the latest three', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 200;
    for (const [id, misfire] of [['skip', 'skip'], ['one', 'one'], ['three', { max: 3 }]] as const) {
      await queue.setSchedule(id, { payload: id, everyMs: 1000, startAt: start, misfire, overlap: 'allow' });
    }
    // Nobody reserves until 700 ms after the fourth slot (start + 3000): later than half an interval.
    await sleep(start + 3700 - (await redisNow()));
    const taken = await pump(queue, 150);
    const dues = (payload: string) => taken.filter((m) => m.payload === payload).map((m) => dueOf(m.id));
    expect(dues('skip')).toEqual([]);
    expect(dues('one')).toEqual([start + 3000]);
    expect(dues('three')).toEqual([start + 1000, start + 2000, start + 3000]);
    for (const id of ['skip', 'one', 'three']) expect((await queue.getSchedule(id))?.nextAt).toBe(start + 4000);
  });

  it('overlap skip makes nothing while the last occurrence has not ended; allow does', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 200;
    await queue.setSchedule('skip', { payload: 'skip', everyMs: 1000, startAt: start });
    await queue.setSchedule('allow', { payload: 'allow', everyMs: 1000, startAt: start, overlap: 'allow' });
    // Everything taken is held, not acknowledged: the first occurrence of each runs for the whole time.
    const held = await pump(queue, 2_600, false);
    expect(held.filter((m) => m.payload === 'skip').map((m) => dueOf(m.id))).toEqual([start]);
    expect(held.filter((m) => m.payload === 'allow').map((m) => dueOf(m.id))).toEqual([start, start + 1000, start + 2000]);
    await Promise.all(held.map((message) => queue.ack(message)));
    const next = await pump(queue, 1_000);
    expect(next.filter((m) => m.payload === 'skip').map((m) => dueOf(m.id))).toEqual([start + 3000]);
  });
});

describe('operations', () => {
  it('pause makes nothing; resume goes on from the next slot after now', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 100;
    await queue.setSchedule('p', { payload: 'p', everyMs: 1000, startAt: start });
    expect(await queue.pauseSchedule('p')).toMatchObject({ paused: true, nextAt: null });
    expect(await pump(queue, 2_300)).toEqual([]);
    const resumed = await queue.resumeSchedule('p');
    expect(resumed).toMatchObject({ paused: false, nextAt: start + 3000 });
    expect((await pump(queue, 1_000)).map((m) => dueOf(m.id))).toEqual([start + 3000]);
  });

  it('run now makes an occurrence at once without moving the schedule; delete stops it and keeps what it made', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 60_000;
    await queue.setSchedule('r', { payload: 'r', everyMs: 60_000, startAt: start });
    const run = await queue.runSchedule('r');
    expect(run).toMatchObject({ outcome: 'queued' });
    expect(run?.id).toBe(occurrenceId('r', run?.dueAt ?? 0));
    expect((await queue.getSchedule('r'))?.nextAt).toBe(start);
    expect(await queue.removeSchedule('r')).toBe(true);
    expect(await queue.removeSchedule('r')).toBe(false);
    expect(await queue.getSchedule('r')).toBeNull();
    expect(await queue.listSchedules()).toEqual([]);
    const { messages } = await queue.reserve({ count: 5 });
    expect(messages.map((m) => m.id)).toEqual([run?.id]);
    expect(await queue.runSchedule('r')).toBeNull();
    expect(await queue.pauseSchedule('r')).toBeNull();
    expect(await queue.resumeSchedule('r')).toBeNull();
  });

  it('removing an occurrence does not end the schedule', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 100;
    await queue.setSchedule('keep', { payload: 'k', everyMs: 1000, startAt: start, overlap: 'allow' });
    const run = await queue.runSchedule('keep');
    expect((await queue.remove(run?.id ?? '')).outcome).toBe('removed');
    expect((await pump(queue, 1_400)).map((m) => dueOf(m.id))).toEqual([start, start + 1000]);
  });

  it('lists schedules by id with their next due times', async () => {
    const queue = makeQueue();
    const start = (await redisNow()) + 60_000;
    await queue.setSchedule('b', { payload: 'b', everyMs: 1000, startAt: start });
    await queue.setSchedule('a', { payload: 'a', cron: '0 3 * * *', tz: 'Europe/Berlin', maxAttempts: 5, priority: 7 });
    const list = await queue.listSchedules();
    expect(list.map((s) => s.id)).toEqual(['a', 'b']);
    expect(list[0]).toMatchObject({ cron: '0 3 * * *', tz: 'Europe/Berlin', everyMs: null, maxAttempts: 5, priority: 7, misfire: 'one', overlap: 'skip' });
    expect(list[1]).toMatchObject({ everyMs: 1000, cron: null, nextAt: start });
    // A page: at most `limit`, after the id `after`.
    expect((await queue.listSchedules({ limit: 1 })).map((s) => s.id)).toEqual(['a']);
    expect((await queue.listSchedules({ limit: 5, after: 'a' })).map((s) => s.id)).toEqual(['b']);
    expect(await queue.listSchedules({ after: 'b' })).toEqual([]);
    await expect(queue.listSchedules({ limit: 0 })).rejects.toThrow(/options.limit/);
    await expect(queue.listSchedules({ after: '{x' })).rejects.toThrow(/options.after/);
  });
});

describe('cron schedules', () => {
  it('makes an occurrence at each time of the expression', async () => {
    const queue = makeQueue();
    const { schedule } = await queue.setSchedule('every-second', { payload: 'c', cron: '* * * * * *', overlap: 'allow' });
    expect((schedule.nextAt ?? 0) % 1000).toBe(0);
    const taken = await pump(queue, 2_600);
    const dues = taken.map((m) => dueOf(m.id));
    expect(dues.length).toBeGreaterThanOrEqual(2);
    expect(dues.every((due, index) => due % 1000 === 0 && (index === 0 || due === (dues[index - 1] as number) + 1000))).toBe(true);
  });

  it('is given more due times when its list runs low (by the consumer that sees it)', async () => {
    const queue = makeQueue();
    await queue.setSchedule('refill', { payload: 'c', cron: '*/2 * * * * *' });
    const key = `${queue.keyBase}:schedule:refill`;
    const times = ((await redis.hget(key, 'times')) ?? '').split(' ');
    expect(times).toHaveLength(32);
    // As if 30 had been used: two left, and the request for more that the list running low makes.
    await redis.hset(key, 'times', times.slice(0, 2).join(' '), 'from', times[1] as string);
    await redis.sadd(`${queue.keyBase}:schedule-refill`, 'refill');
    await queue.reserve();
    await queue.close();
    const refilled = ((await redis.hget(key, 'times')) ?? '').split(' ').map(Number);
    expect(refilled).toHaveLength(32);
    expect(refilled.slice(0, 2)).toEqual(times.slice(0, 2).map(Number));
    expect(refilled.every((time, index) => index === 0 || time === (refilled[index - 1] as number) + 2000)).toBe(true);
    expect(await redis.exists(`${queue.keyBase}:schedule-refill`)).toBe(0);
  });
});

describe('bad input', () => {
  const cases: Array<[string, unknown, string]> = [
    ['neither', { payload: 'x' }, 'cron'],
    ['both', { payload: 'x', cron: '* * * * *', everyMs: 1000 }, 'everyMs'],
    ['an interval below the minimum', { payload: 'x', everyMs: 999 }, 'everyMs'],
    ['a malformed cron', { payload: 'x', cron: '61 * * * *' }, 'cron'],
    ['a cron of 4 fields', { payload: 'x', cron: '* * * *' }, 'cron'],
    ['a cron that never matches', { payload: 'x', cron: '0 0 30 2 *' }, 'cron'],
    ['an unknown time zone', { payload: 'x', cron: '* * * * *', tz: 'Mars/Olympus' }, 'tz'],
    ['a time zone without cron', { payload: 'x', everyMs: 1000, tz: 'UTC' }, 'tz'],
    ['endAt before startAt', { payload: 'x', everyMs: 1000, startAt: 2000, endAt: 1000 }, 'endAt'],
    ['a limit of 0', { payload: 'x', everyMs: 1000, limit: 0 }, 'limit'],
    ['a bad misfire', { payload: 'x', everyMs: 1000, misfire: { max: 0 } }, 'misfire.max'],
    ['a bad overlap', { payload: 'x', everyMs: 1000, overlap: 'never' }, 'overlap'],
    ['an unknown field', { payload: 'x', everyMs: 1000, every: 5 }, 'every'],
  ];
  it.each(cases)('refuses %s, naming the field, and writes nothing', async (_name, spec, field) => {
    const queue = makeQueue();
    const error = await queue.setSchedule('bad', spec as never).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(field);
    expect(await redis.keys(`${queue.keyBase}:*`)).toEqual([]);
  });

  it('refuses a malformed schedule id', async () => {
    const queue = makeQueue();
    await expect(queue.setSchedule('a b', { payload: 'x', everyMs: 1000 })).rejects.toMatchObject({ argument: 'id' });
    await expect(queue.getSchedule('{x}')).rejects.toMatchObject({ argument: 'id' });
  });
});
