import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError, JobNotFoundError, type Job, type JobEvent } from '../src/index.js';
import { EventHub } from '../src/_watcher.js';
import { connect, Fixture, sleep } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

/** Waits until `events` satisfies `done` (or fails after 5 s). */
async function until(events: JobEvent[], done: (events: JobEvent[]) => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done(events)) {
    if (Date.now() > deadline) throw new Error(`timed out; events so far: ${JSON.stringify(events)}`);
    await sleep(5);
  }
}

const statuses = (events: JobEvent[]) => events.filter((event) => event.kind === 'status').map((event) => (event as { job: Job }).job.status);
const ended = (events: JobEvent[]) => ['succeeded', 'failed', 'cancelled'].includes(statuses(events).at(-1) ?? '');

async function subscribers(channel: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

/** The number of subscribers once it settles on `expected` (a closed connection takes Redis a moment to notice). */
async function settledSubscribers(channel: string, expected: number): Promise<number> {
  const deadline = Date.now() + 2_000;
  let count = await subscribers(channel);
  while (count !== expected && Date.now() < deadline) {
    await sleep(10);
    count = await subscribers(channel);
  }
  return count;
}

describe('watch', () => {
  it('sends the current state first, then every status change (the whole job) and progress update', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit({ type: 'echo', params: { n: 1 } });
    const events: JobEvent[] = [];
    const stop = await f.store.watch(id, (event) => events.push(event));
    expect(events).toEqual([{ kind: 'status', job: await f.store.get(id) }]);
    const token = await f.start(id, 1, 'w-1');
    await until(events, (seen) => seen.length === 2);
    await f.store.progress(id, token, 50);
    await f.store.progress(id, token, { phase: 'writing' });
    await f.succeed(id, token, 'done');
    await until(events, ended);
    expect(events.map((event) => event.kind === 'status' ? event.job.status : event.progress)).toEqual(['queued', 'running', 50, { phase: 'writing' }, 'succeeded']);
    expect(events[1]).toMatchObject({ kind: 'status', job: { id, status: 'running', worker: 'w-1', attempts: 1, params: { n: 1 } } });
    expect(events[2]).toEqual({ kind: 'progress', id, progress: 50 });
    expect(events[4]).toMatchObject({ kind: 'status', job: { status: 'succeeded', progress: { phase: 'writing' } } });
    await stop();
  });

  it('gives a subscriber that starts after the job ended its final state, and nothing more', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    await f.succeed(id, await f.start(id));
    const events: JobEvent[] = [];
    const stop = await f.store.watch(id, (event) => events.push(event));
    await sleep(30);
    expect(statuses(events)).toEqual(['succeeded']);
    await stop();
  });

  it('misses nothing and repeats nothing when transitions race the subscription', async () => {
    const f = new Fixture(redis);
    for (let round = 0; round < 15; round += 1) {
      const { id } = await f.submit();
      const events: JobEvent[] = [];
      const trip = (async () => {
        await sleep(round % 5);
        const token = await f.start(id);
        await f.succeed(id, token);
      })();
      const [stop] = await Promise.all([f.store.watch(id, (event) => events.push(event)), trip]);
      await until(events, ended);
      await sleep(20);
      const seen = statuses(events);
      expect(seen.at(-1)).toBe('succeeded');
      // In lifecycle order, each status at most once: a subsequence of queued, running, succeeded.
      expect((['queued', 'running', 'succeeded'] as const).filter((status) => seen.includes(status))).toEqual(seen);
      await stop();
    }
  });

  it('refuses a malformed id and an unknown job', async () => {
    const f = new Fixture(redis);
    await expect(f.store.watch('nope', () => {})).rejects.toBeInstanceOf(JobInputError);
    await expect(f.store.watch('01ARZ3NDEKTSV4RRFFQ69G5FAV', () => {})).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(f.store.watch('01ARZ3NDEKTSV4RRFFQ69G5FAV', () => {})).rejects.toMatchObject({ code: 'not_found' });
    expect(await settledSubscribers(`${f.store.keyBase}:events`, 0)).toBe(0);
  });

  it('shares one subscriber connection among watchers and closes it after the last one', async () => {
    const f = new Fixture(redis);
    const channel = `${f.store.keyBase}:events`;
    const a = (await f.submit()).id;
    const b = (await f.submit()).id;
    const seenA: JobEvent[] = [];
    const seenB: JobEvent[] = [];
    const stopA = await f.store.watch(a, (event) => seenA.push(event));
    const stopB = await f.store.watch(b, (event) => seenB.push(event));
    const stopB2 = await f.store.watch(b, () => {
      throw new Error('a failing listener does not disturb the others');
    });
    expect(await subscribers(channel)).toBe(1);
    await f.start(b);
    await until(seenB, (events) => events.length === 2);
    expect(statuses(seenA)).toEqual(['queued']);
    await stopA();
    await stopB();
    expect(await subscribers(channel)).toBe(1);
    await stopB2();
    expect(await settledSubscribers(channel, 0)).toBe(0);
    // A later watcher opens a new one.
    const stop = await f.store.watch(a, () => {});
    expect(await subscribers(channel)).toBe(1);
    await stop();
  });
});

describe('events only while watched', () => {
  it('publishes nothing while no store watches the queue, and every change once one does', async () => {
    const f = new Fixture(redis);
    const channel = `${f.store.keyBase}:events`;
    const listener = connect();
    const messages: string[] = [];
    listener.on('message', (_from: string, message: string) => messages.push(message));
    await listener.subscribe(channel);
    const quiet = (await f.submit()).id;
    await f.succeed(quiet, await f.start(quiet));
    await sleep(30);
    expect(messages).toEqual([]);
    expect(await redis.exists(`${f.store.keyBase}:watched`)).toBe(0);

    const watched = (await f.submit()).id;
    const events: JobEvent[] = [];
    const stop = await f.store.watch(watched, (event) => events.push(event));
    const ttl = await redis.pttl(`${f.store.keyBase}:watched`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await f.succeed(watched, await f.start(watched));
    await until(events, ended);
    expect(statuses(events)[0]).toBe('queued');
    expect(messages.map((message) => JSON.parse(message).status)).toEqual(['running', 'succeeded']);
    await stop();
    listener.disconnect();
  });
});

describe('the subscription window (EventHub)', () => {
  // Deterministic versions of the race above: the transition is published exactly between the
  // subscription and the read, or just after the read.
  it('a change published after subscribing but before the read is sent once', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    let token = '';
    const hub = new EventHub(redis, `${f.store.keyBase}:events`, `${f.store.keyBase}:watched`, async (jobId) => {
      if (!token) token = await f.start(jobId); // publishes 'running' before this read
      await sleep(20); // ...and the event arrives while the read is still out
      return await f.store.get(jobId);
    });
    const events: JobEvent[] = [];
    const stop = await hub.watch(id, (event) => events.push(event));
    await sleep(50);
    expect(statuses(events)).toEqual(['running']);
    await f.succeed(id, token);
    await until(events, ended);
    expect(statuses(events)).toEqual(['running', 'succeeded']);
    await stop();
  });

  it('a change published right after the read follows the first event', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const hub = new EventHub(redis, `${f.store.keyBase}:events`, `${f.store.keyBase}:watched`, (jobId) => f.store.get(jobId));
    const events: JobEvent[] = [];
    const watching = hub.watch(id, (event) => events.push(event));
    const stop = await watching;
    await f.start(id);
    await until(events, (seen) => seen.length === 2);
    expect(statuses(events)).toEqual(['queued', 'running']);
    await stop();
  });
});
