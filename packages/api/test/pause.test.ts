import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { call, snapshot, startApi, TestConsumer } from './helpers.js';

describe('POST /queue/pause and /queue/resume', () => {
  it('hold workers back while running jobs finish, then let them drain the queue', async () => {
    const api = await startApi();
    // A worker's kind of connection: its blocking waits need one that queues commands while connecting.
    const redis = new Redis(inject('redisUrl'));
    const consumer = new TestConsumer(redis, api.prefix, api.queue);
    try {
      const submit = async () => (await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).body.id as string;
      const first = await submit();
      const running = await consumer.take();
      expect(running.id).toBe(first);
      expect((await call(api.base, 'GET', '/stats')).body.paused).toBe(false);

      const paused = await call(api.base, 'POST', '/queue/pause');
      expect(paused.status).toBe(200);
      expect(paused.body).toEqual({ paused: true });
      expect((await call(api.base, 'POST', '/queue/pause', { body: {} })).body).toEqual({ paused: true });
      expect((await call(api.base, 'GET', '/stats')).body.paused).toBe(true);

      // Submissions are accepted and wait; nobody takes them, not even a consumer waiting for work.
      const waiting = [await submit(), await submit()];
      expect((await consumer.queue.reserve({ count: 10, consumer: 'w' })).messages).toEqual([]);
      const blocked = await consumer.queue.reserve({ count: 10, consumer: 'w', waitMs: 300 });
      expect(blocked.messages).toEqual([]);
      await submit();
      // The running job finishes as usual.
      expect(await consumer.succeed(running, { ok: true })).toBe(true);
      expect((await call(api.base, 'GET', `/jobs/${first}`)).body.status).toBe('succeeded');
      expect((await call(api.base, 'GET', '/stats')).body.counts).toMatchObject({ queued: 3, running: 0, succeeded: 1 });

      // A consumer waiting when the queue resumes is woken and gets the jobs.
      const woken = consumer.queue.reserve({ count: 10, consumer: 'w', waitMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const resumed = await call(api.base, 'POST', '/queue/resume');
      expect(resumed.status).toBe(200);
      expect(resumed.body).toEqual({ paused: false });
      const { messages } = await woken;
      expect(Date.now() - started).toBeLessThan(5_000);
      const rest = messages.length < 3 ? (await consumer.queue.reserve({ count: 10, consumer: 'w' })).messages : [];
      const taken = [...messages, ...rest];
      expect(taken.map((m) => m.id)).toEqual(expect.arrayContaining(waiting));
      expect(taken).toHaveLength(3);
      expect((await call(api.base, 'GET', '/stats')).body).toMatchObject({ paused: false, counts: { queued: 0, running: 3 } });
      expect((await call(api.base, 'POST', '/queue/resume')).body).toEqual({ paused: false });
    } finally {
      await consumer.close();
      redis.disconnect();
      await api.close();
    }
  });

  it('take no body but an empty object, and no query; a refusal changes nothing', async () => {
    const api = await startApi();
    try {
      const before = await snapshot(api.redis, api.keyBase);
      expect((await call(api.base, 'POST', '/queue/pause', { body: { now: true } })).status).toBe(400);
      expect((await call(api.base, 'POST', '/queue/pause?now=1')).status).toBe(400);
      expect((await call(api.base, 'POST', '/queue/pause', { raw: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
      expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
      expect((await call(api.base, 'GET', '/stats')).body.paused).toBe(false);
    } finally {
      await api.close();
    }
  });
});
