// Backpressure over real HTTP: with maxQueued, concurrent submitters never get more jobs accepted
// than the maximum; the rest are 429 queue_full with Retry-After, and write nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { call, connect, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi({ maxQueued: 20 });
});
afterAll(async () => {
  await api.close();
});

describe('a queue with a maximum of waiting jobs', () => {
  it('accepts exactly the maximum from 8 concurrent submitters and answers the rest 429 queue_full', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, async (_, submitter) => {
      const mine = [];
      for (let n = 0; n < 10; n += 1) mine.push(await call(api.base, 'POST', '/jobs', { body: { type: 'echo', params: { submitter, n } } }));
      return mine;
    }));
    const all = answers.flat();
    expect(all.filter((answer) => answer.status === 201)).toHaveLength(20);
    const refused = all.filter((answer) => answer.status === 429);
    expect(refused).toHaveLength(60);
    expect(refused[0]!.headers.get('retry-after')).toBe('1');
    expect(refused[0]!.body.error).toMatchObject({ code: 'queue_full', details: { waiting: 20, maxQueued: 20 } });
    expect(refused[0]!.body.error.message).toMatch(/the queue is full: 20 messages are waiting and at most 20 may be/);
    expect((await call(api.base, 'GET', '/stats')).body).toMatchObject({ counts: { queued: 20 } });
  });

  it('refuses a batch past the maximum as a whole, writing nothing, and takes jobs again once workers catch up', async () => {
    const own = await startApi({ maxQueued: 3 });
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    try {
      await call(own.base, 'POST', '/jobs', { body: { type: 'echo' } });
      const before = await snapshot(own.redis, `{${own.prefix}:${own.queue}}`);
      const answer = await call(own.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo' }, { type: 'echo' }, { type: 'echo' }] } });
      expect(answer.status).toBe(429);
      expect(answer.body.error.code).toBe('queue_full');
      expect(await snapshot(own.redis, `{${own.prefix}:${own.queue}}`)).toEqual(before);
      expect((await call(own.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo' }, { type: 'echo' }] } })).status).toBe(201);
      expect((await call(own.base, 'POST', '/jobs', { body: { type: 'echo' } })).status).toBe(429);
      await consumer.take();
      expect((await call(own.base, 'POST', '/jobs', { body: { type: 'echo' } })).status).toBe(201);
    } finally {
      await own.close();
    }
  });

  it('refuses a maximum that is not a positive whole number at createApp', async () => {
    const redis = await connect();
    try {
      expect(() => createApp({ redis, maxQueued: 0 })).toThrow(/options\.maxQueued must be/);
    } finally {
      redis.disconnect();
    }
  });
});
