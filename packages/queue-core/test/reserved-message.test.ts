// What a reserve hands out: the id, the payload, the attempt and the max attempts as put, and a
// token, on every path that leases (a plain reserve, the scheduled path of priorities, a hand-off).
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('a reserved message', () => {
  it('carries its attempt and max attempts on the plain path, the priority path and a hand-off', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('reserved') });
    try {
      await queue.put('plain', { id: 'p1', maxAttempts: 4 });
      expect((await queue.reserve()).messages).toEqual([expect.objectContaining({ id: 'p1', payload: 'plain', attempt: 1, maxAttempts: 4 })]);
      await queue.put('urgent', { id: 'u1', maxAttempts: 6, priority: 5 });
      expect((await queue.reserve()).messages).toEqual([expect.objectContaining({ id: 'u1', payload: 'urgent', attempt: 1, maxAttempts: 6 })]);
      // A queue that never used priorities hands a put straight to a waiting consumer.
      const plain = new TaskQueue<string>({ redis, name: uniqueName('reserved') });
      const waiting = plain.reserve({ waitMs: 5_000 });
      for (let tries = 0; (await redis.zcard(`${plain.keyBase}:waiters`)) === 0; tries += 1) {
        if (tries > 400) throw new Error('the consumer never registered as waiting');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await plain.put('handed', { id: 'h1', maxAttempts: 2 });
      expect((await waiting).messages).toEqual([expect.objectContaining({ id: 'h1', payload: 'handed', attempt: 1, maxAttempts: 2 })]);
      await plain.close();
    } finally {
      await queue.close();
    }
  });
});
