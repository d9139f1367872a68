// GET /events over real HTTP (docs/decisions/0022): every job's changes pushed to every open stream,
// from one Redis subscription per API process, whatever the number of streams. Runs on a Redis
// server of its own: it counts the server's commands and drops its connections.
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { JobsStore } from '@hotq/jobs-store';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueChanges } from '../src/internal/event-schemas.js';
import { JobFeed } from '../src/internal/job-feed.js';
import { createRedisCall } from '../src/internal/redis-call.js';
import { call, connect, startApi, TestConsumer, waitFor, type TestApi } from './helpers.js';
import { openEvents, type SseEvent, type SseStream } from './sse-client.js';

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.dispose();
});

/** Reads events until `done` holds for those read so far (or fails after `ms`). */
async function readUntil(stream: SseStream, done: (events: SseEvent[]) => boolean, ms = 5_000): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const deadline = Date.now() + ms;
  while (!done(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; events so far: ${JSON.stringify(events).slice(0, 2_000)}`);
    const event = await stream.next(left);
    if (event === null) throw new Error('the stream ended');
    events.push(event);
  }
  return events;
}

/** The last status each job had in these events, from whole jobs and from `more`. */
function lastStatuses(events: SseEvent[]): Map<string, string> {
  const seen = new Map<string, string>();
  for (const { event, data } of events) {
    if (event !== 'changes') continue;
    for (const job of data.jobs) seen.set(job.id, job.status);
    for (const change of data.more) seen.set(change.id, change.status);
  }
  return seen;
}

async function commandCalls(api: TestApi, command: string): Promise<number> {
  const info = await api.redis.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('GET /events', () => {
  let api: TestApi;
  let consumer: TestConsumer;
  beforeAll(async () => {
    api = await startApi({ url: server.url });
    consumer = new TestConsumer(api.redis, api.prefix, api.queue);
  });
  afterAll(async () => {
    await consumer.close();
    await api.close();
  });

  it('pushes jobs as they are created and change status, without their params, with the counts', async () => {
    const stream = await openEvents(`${api.base}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await call(api.base, 'POST', '/jobs', { body: { type: 'echo', params: { secret: i } } })).body.id);
    const created = await readUntil(stream, (events) => ids.every((id) => lastStatuses(events).get(id) === 'queued'));
    for (const event of created) {
      expect(event.event).toBe('changes');
      expect(QueueChanges.parse(event.data)).toBeTruthy();
      for (const job of event.data.jobs) expect(job).not.toHaveProperty('params');
    }
    expect(created.at(-1)?.data.counts.queued).toBe(3);

    const lease = await consumer.take();
    await consumer.succeed(lease, { ok: true });
    const finished = await readUntil(stream, (events) => lastStatuses(events).get(lease.id) === 'succeeded');
    const last = finished.at(-1)?.data;
    expect(last.jobs.find((job: { id: string }) => job.id === lease.id)).toMatchObject({ status: 'succeeded', attempts: 1, worker: 'test-worker' });
    expect(last.counts).toMatchObject({ queued: 2, succeeded: 1 });
    stream.close();
  });

  it('pushes the jobs a schedule makes inside a reserve, which no API announces', async () => {
    // A concurrency limit of 1, held by a running job: the occurrences a reserve makes stay queued,
    // so only their creation can tell a list about them.
    expect((await call(api.base, 'PUT', '/limits/type/tick', { body: { concurrency: 1 } })).status).toBe(200);
    await call(api.base, 'POST', '/jobs', { body: { type: 'tick' } });
    const holder = await consumer.take();
    const stream = await openEvents(`${api.base}/events`);
    expect((await call(api.base, 'PUT', '/schedules/pushed', { body: { job: { type: 'tick' }, everyMs: 1_000 } })).status).toBe(201);
    const made = await waitFor(async () => {
      await consumer.queue.reserve({ count: 1, consumer: 'test-worker' });
      const queued = (await call(api.base, 'GET', '/jobs?status=queued&type=tick')).body.jobs as Array<{ id: string; schedule?: unknown }>;
      return queued.find((job) => job.schedule !== undefined);
    }, 'an occurrence held back by the limit', 5_000);
    const seen = await readUntil(stream, (events) => lastStatuses(events).get(made.id) === 'queued');
    expect(lastStatuses(seen).get(made.id)).toBe('queued');
    stream.close();
    expect((await call(api.base, 'DELETE', '/schedules/pushed')).status).toBe(200);
    expect((await call(api.base, 'DELETE', '/limits/type/tick')).status).toBe(200);
    await consumer.succeed(holder, null);
  });

  it('sends the newest 50 jobs of a busy moment whole and the rest as id and status, newest first', async () => {
    const stream = await openEvents(`${api.base}/events`);
    const batch = await call(api.base, 'POST', '/jobs/batch', { body: { jobs: Array.from({ length: 120 }, (_, i) => ({ type: 'echo', params: { i } })) } });
    expect(batch.status).toBe(201);
    const ids: string[] = batch.body.jobs.map((job: { id: string }) => job.id);
    const events = await readUntil(stream, (seen) => ids.every((id) => lastStatuses(seen).get(id) === 'queued'));
    // One announcement for the batch: one event, its newest 50 read whole.
    const first = events[0]?.data;
    expect(first.jobs).toHaveLength(50);
    expect(first.more).toHaveLength(70);
    const order = [...first.jobs.map((job: { id: string }) => job.id), ...first.more.map((change: { id: string }) => change.id)];
    expect(order).toEqual([...ids].sort().reverse());
    expect(first.dropped).toBe(0);
    stream.close();
  });

  it('costs Redis the same for twenty streams as for one: one subscription, each change read once', async () => {
    // A queue of its own, so the workload is exactly the same each time.
    const api = await startApi({ url: server.url });
    const consumer = new TestConsumer(api.redis, api.prefix, api.queue);
    const channel = `${api.keyBase}:events`;
    const workload = async (): Promise<number> => {
      const before = await commandCalls(api, 'hgetall');
      const ids: string[] = [];
      for (let i = 0; i < 10; i += 1) ids.push((await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).body.id);
      while ((await consumer.queue.stats()).ready > 0) await consumer.runOne({ ok: true });
      // Let the last window go out.
      await waitFor(async () => (await call(api.base, 'GET', '/stats')).body.counts.queued === 0, 'the queue to drain');
      await new Promise((resolve) => setTimeout(resolve, 500));
      return (await commandCalls(api, 'hgetall')) - before;
    };
    const alone = await workload();
    const one = await openEvents(`${api.base}/events`);
    const withOne = (await workload()) - alone;
    const many = await Promise.all(Array.from({ length: 20 }, async () => await openEvents(`${api.base}/events`)));
    expect(Number(((await api.redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1])).toBe(1);
    const withTwentyOne = (await workload()) - alone;
    // Each of the 10 jobs is read at most once per change (created, running, succeeded) by the process.
    expect(withOne).toBeGreaterThan(0);
    expect(withTwentyOne).toBeLessThanOrEqual(30);
    expect(withOne).toBeLessThanOrEqual(30);
    // Every stream got the changes.
    for (const stream of [one, ...many]) {
      const events = await readUntil(stream, (seen) => seen.some((event) => event.data.counts?.succeeded === 30));
      expect(events.length).toBeGreaterThan(0);
      stream.close();
    }
    // The last stream gone, so is the subscription.
    await waitFor(async () => Number(((await api.redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]) === 0, 'the subscription to end');
    await consumer.close();
    await api.close();
  });

  it('says resync when the subscription was cut, and goes on', async () => {
    const stream = await openEvents(`${api.base}/events`);
    await api.redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect((await readUntil(stream, (events) => events.some((event) => event.event === 'resync'))).at(-1)).toEqual({ event: 'resync', data: {} });
    const id = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).body.id;
    await readUntil(stream, (events) => lastStatuses(events).get(id) === 'queued');
    stream.close();
  });

  it('takes no query but the token, answers HEAD, and ends its streams when the app closes', async () => {
    const refused = await call(api.base, 'GET', '/events?status=failed');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('unknown query parameter(s): status');
    expect((await fetch(`${api.base}/events`, { method: 'HEAD' })).status).toBe(200);
    const other = await startApi({ url: server.url, prefix: api.prefix, queue: api.queue });
    const stream = await openEvents(`${other.base}/events`);
    await other.close();
    expect(await stream.next()).toBeNull();
  });
});

describe('GET /events with tokens', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi({ url: server.url, apiToken: 'full', readToken: 'read' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('needs a token (401), takes the read token, also as access_token in the query', async () => {
    expect((await call(api.base, 'GET', '/events')).status).toBe(401);
    expect((await call(api.base, 'GET', '/events?access_token=wrong')).status).toBe(401);
    const stream = await openEvents(`${api.base}/events?access_token=read`);
    expect(stream.status).toBe(200);
    const id = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo' }, token: 'full' })).body.id;
    await readUntil(stream, (events) => lastStatuses(events).get(id) === 'queued');
    stream.close();
    const header = await openEvents(`${api.base}/events`, { authorization: 'Bearer read' });
    expect(header.status).toBe(200);
    header.close();
  });
});

describe('JobFeed', () => {
  it('keeps at most maxPending jobs per window and counts the rest as dropped; reads at most readLimit', async () => {
    const redis = await connect(server.url);
    const store = new JobsStore({ redis, prefix: 'feed', queue: `q${Date.now()}` });
    const feed = new JobFeed(store, createRedisCall(2_000), pino({ level: 'silent' }), { windowMs: 50, readLimit: 2, maxPending: 3 });
    const sent: Array<{ event: string; data: string }> = [];
    const membership = feed.join({ send: (event, data) => sent.push({ event, data }) });
    await membership.ready;
    const ids = ['01JD5Z3V9Q8W7E6R5T4Y3X2H1A', '01JD5Z3V9Q8W7E6R5T4Y3X2H1B', '01JD5Z3V9Q8W7E6R5T4Y3X2H1C', '01JD5Z3V9Q8W7E6R5T4Y3X2H1D', '01JD5Z3V9Q8W7E6R5T4Y3X2H1E'];
    await store.announceCreated(ids.map((id) => ({ id, status: 'queued' })));
    await waitFor(async () => sent.length > 0, 'a batch');
    const batch = JSON.parse(sent[0]?.data ?? '{}');
    // The three kept are the first to arrive; the two newest of them were read (and, never made, left out).
    expect(batch).toMatchObject({ jobs: [], more: [{ id: ids[0], status: 'queued' }], dropped: 2 });
    expect(feed.size).toBe(1);
    membership.leave();
    expect(feed.size).toBe(0);
    redis.disconnect();
  });
});
