// A consumer may listen for stop requests of its own leases: a remove of a leased message reaches it
// at once, over pub/sub; other consumers hear nothing; extend still reports the request.
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

describe('TaskQueue.listenForStops', () => {
  it('tells the consumer holding a lease, and only it, the moment its message is asked to stop', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('stops') });
    const heardByHolder: string[] = [];
    const heardByOther: string[] = [];
    const holder = queue.listenForStops('holder', (id) => heardByHolder.push(id));
    const other = queue.listenForStops('other', (id) => heardByOther.push(id));
    await Promise.all([holder.ready, other.ready]);
    try {
      await queue.putMany([{ payload: 'a', id: 'a' }, { payload: 'b', id: 'b' }]);
      const [leased] = (await queue.reserve({ consumer: 'holder' })).messages;
      expect(leased?.id).toBe('a');
      expect(await queue.remove('a')).toEqual({ outcome: 'cancel-requested' });
      // A queued message is simply removed: nobody holds it, nobody is told.
      expect(await queue.remove('b')).toEqual({ outcome: 'removed' });
      await expect.poll(() => heardByHolder).toEqual(['a']);
      expect(heardByOther).toEqual([]);
      expect(await queue.extend([leased!])).toEqual([{ id: 'a', held: true, cancelRequested: true }]);
    } finally {
      await holder.close();
      await other.close();
    }
  });

  it('refuses a bad consumer or listener, subscribing to nothing', () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('stops') });
    expect(() => queue.listenForStops('x'.repeat(201), () => {})).toThrow(InvalidArgumentError);
    expect(() => queue.listenForStops('c', 'nope' as unknown as () => void)).toThrow(/listener must be a function/);
  });
});
