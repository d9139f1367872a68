// Backpressure: a queue with maxQueued never holds more waiting messages than that, however many
// producers race, because the put itself refuses (no check-then-act between producers).
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, QueueFullError, TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('TaskQueue maxQueued', () => {
  it('accepts exactly the maximum from racing producers, each on its own connection, and refuses the rest', async () => {
    const name = uniqueName('full');
    const clients = Array.from({ length: 8 }, () => new Redis(inject('redisUrl')));
    try {
      const producers = clients.map((client) => new TaskQueue<number>({ redis: client, name, maxQueued: 50 }));
      const outcomes = await Promise.all(producers.flatMap((queue, p) => Array.from({ length: 20 }, (_, n) =>
        queue.put(p * 100 + n).then(() => 'accepted', (error: unknown) => (error instanceof QueueFullError ? 'full' : String(error))))));
      expect(outcomes.filter((outcome) => outcome === 'accepted')).toHaveLength(50);
      expect(outcomes.filter((outcome) => outcome === 'full')).toHaveLength(110);
      expect(await producers[0]!.stats()).toMatchObject({ ready: 50, totals: { put: 50 } });
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('counts delayed messages as waiting, refuses a batch as a whole, and takes more once consumers catch up', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('full'), maxQueued: 3 });
    await queue.put('now');
    await queue.put('later', { delayMs: 60_000 });
    const refusal = await queue.putMany([{ payload: 'a' }, { payload: 'b' }]).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(QueueFullError);
    expect(refusal).toMatchObject({ code: 'queue_full', waiting: 2, maxQueued: 3 });
    expect((refusal as Error).message).toMatch(/2 messages are waiting and at most 3 may be; these 2 messages were not added/);
    expect(await queue.stats()).toMatchObject({ ready: 1, delayed: 1 });
    await queue.put('fits');
    await expect(queue.put('one too many')).rejects.toThrow(QueueFullError);
    const { messages } = await queue.reserve({ count: 2 });
    await queue.reserve({ count: 0, acks: messages.map((message) => ({ lease: message })) });
    await queue.putMany([{ payload: 'c' }, { payload: 'd' }]);
    expect(await queue.stats()).toMatchObject({ ready: 2, delayed: 1 });
  });

  it('refuses a maximum that is not a positive integer', () => {
    for (const maxQueued of [0, -1, 1.5, '10' as unknown as number]) {
      expect(() => new TaskQueue({ redis, name: 'q', maxQueued })).toThrow(InvalidArgumentError);
    }
    expect(() => new TaskQueue({ redis, name: 'q', maxQueued: 0 })).toThrow(/options\.maxQueued must be/);
  });
});
