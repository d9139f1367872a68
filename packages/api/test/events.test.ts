import { describe, expect, it } from 'vitest';
import { Job as JobSchema, ProgressEvent } from '../src/internal/schemas.js';
import { call, startApi, TestConsumer, type TestApi } from './helpers.js';
import { openEvents } from './sse-client.js';

async function withWorker(test: (api: TestApi, consumer: TestConsumer) => Promise<void>, options = {}): Promise<void> {
  const api = await startApi(options);
  const consumer = new TestConsumer(api.redis, api.prefix, api.queue);
  try {
    await test(api, consumer);
  } finally {
    await consumer.close();
    await api.close();
  }
}

describe('GET /jobs/:id/events', () => {
  it('streams queued -> progress -> running -> succeeded, then ends', async () => {
    await withWorker(async (api, consumer) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'wordcount', params: { text: 'a b a' } } })).body;
      const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(stream.headers.get('cache-control')).toContain('no-cache');

      const first = await stream.next();
      expect(first?.event).toBe('status');
      expect(JobSchema.parse(first?.data)).toMatchObject({ id: job.id, status: 'queued' });

      const message = await consumer.take();
      const running = await stream.next();
      expect(running).toMatchObject({ event: 'status', data: { id: job.id, status: 'running', attempts: 1 } });

      expect(await consumer.store.progress(job.id, message.token, 40)).toBe(true);
      const progress = await stream.next();
      expect(progress).toEqual({ event: 'progress', data: { id: job.id, progress: 40 } });
      expect(ProgressEvent.parse(progress?.data)).toBeTruthy();
      await consumer.store.progress(job.id, message.token, { step: 'counting' });
      expect(await stream.next()).toEqual({ event: 'progress', data: { id: job.id, progress: { step: 'counting' } } });

      await consumer.succeed(message, { words: 3 });
      const done = await stream.next();
      expect(done).toMatchObject({ event: 'status', data: { id: job.id, status: 'succeeded' } });
      expect(done?.data).not.toHaveProperty('result');
      expect(await stream.next()).toBeNull();
    });
  });

  it('gives a late subscriber the final state at once, then ends', async () => {
    await withWorker(async (api, consumer) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'fail' } })).body;
      await consumer.fail(await consumer.take(), 'nope', 'handler_error');
      const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
      const only = await stream.next();
      expect(only).toMatchObject({ event: 'status', data: { status: 'failed', error: { message: 'nope', code: 'handler_error' } } });
      expect(await stream.next()).toBeNull();
    });
  });

  it('ends on cancellation', async () => {
    await withWorker(async (api) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
      const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
      expect((await stream.next())?.data.status).toBe('delayed');
      await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect((await stream.next())?.data.status).toBe('cancelled');
      expect(await stream.next()).toBeNull();
    });
  });

  it('sends keep-alive comments while nothing happens', async () => {
    await withWorker(async (api) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
      const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
      await stream.next();
      // Every 50 ms; waited for up to 5 s, so a busy machine's slow timers do not fail the test.
      const keepAlives = (): number => stream.comments.filter((comment) => comment === 'keep-alive').length;
      for (let waited = 0; waited < 5_000 && keepAlives() < 2; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(keepAlives()).toBeGreaterThanOrEqual(2);
      stream.close();
    }, { keepAliveMs: 50 });
  });

  it('lets go of its subscription when the client goes away, and when the app closes', async () => {
    await withWorker(async (api) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
      const streamsOpen = async () => Number((await call(api.base, 'GET', '/metrics')).text.match(/^hotq_api_event_streams (\d+)/m)?.[1]);
      const subscribed = async () => ((await api.redis.call('PUBSUB', 'CHANNELS', `*${api.queue}*`)) as string[]).length;
      const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
      await stream.next();
      expect(await streamsOpen()).toBe(1);
      expect(await subscribed()).toBe(1);
      stream.close();
      await expect.poll(streamsOpen).toBe(0);
      // The store drops its subscription with its last watcher.
      await expect.poll(subscribed).toBe(0);

      const second = await openEvents(`${api.base}/jobs/${job.id}/events`);
      await second.next();
      await api.app.close();
      expect(await second.next()).toBeNull();
    });
  });

  it('marks the end with the id "end"; a reconnect after it gets 204 while the job is over', async () => {
    await withWorker(async (api) => {
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
      const live = await openEvents(`${api.base}/jobs/${job.id}/events`, { 'last-event-id': 'end' });
      expect(live.status).toBe(200);
      const first = await live.next();
      expect(first?.data.status).toBe('delayed');
      expect(first).not.toHaveProperty('id');
      await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect(await live.next()).toMatchObject({ id: 'end', event: 'status', data: { status: 'cancelled' } });
      expect(await live.next()).toBeNull();
      const again = await fetch(`${api.base}/jobs/${job.id}/events`, { headers: { 'last-event-id': 'end' } });
      expect(again.status).toBe(204);
      // Without the header, a late subscriber still gets the final state.
      const late = await openEvents(`${api.base}/jobs/${job.id}/events`);
      expect((await late.next())?.data.status).toBe('cancelled');
      expect(await late.next()).toBeNull();
      // HEAD answers the headers without holding a stream open.
      const head = await fetch(`${api.base}/jobs/${job.id}/events`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
    });
  });

  it('answers 404 for an unknown job, 400 for a malformed id or an unknown query parameter', async () => {
    await withWorker(async (api) => {
      expect((await call(api.base, 'GET', '/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV/events')).status).toBe(404);
      expect((await call(api.base, 'GET', '/jobs/x/events')).status).toBe(400);
      const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).body;
      const answer = await call(api.base, 'GET', `/jobs/${job.id}/events?since=0`);
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain('since');
    });
  });
});
