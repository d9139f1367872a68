// The per-minute history the scripts keep: what a dashboard plots the moment it opens, the same from
// every process, bounded (each minute's hash expires after 65 minutes).
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

const MINUTE = 60_000;

describe('TaskQueue.throughput', () => {
  it('counts puts, acks, retries, dead letters and releases in the current minute, the same from another process', async () => {
    const name = uniqueName('tp');
    const queue = new TaskQueue<number>({ redis, name, leaseMs: 60_000 });
    const other = new TaskQueue<number>({ redis: new Redis(inject('redisUrl')), name });
    try {
      const empty = await queue.throughput();
      expect(empty).toHaveLength(60);
      expect(empty.every((minute) => minute.put === 0 && minute.acked === 0)).toBe(true);
      // Oldest first, one minute apart, the last one the current minute of Redis's clock.
      const [seconds] = await redis.time();
      expect(empty.at(-1)!.minute).toBe(Math.floor((Number(seconds) * 1000) / MINUTE) * MINUTE);
      expect(empty[1]!.minute - empty[0]!.minute).toBe(MINUTE);

      await queue.putMany([1, 2, 3, 4, 5].map((payload) => ({ payload })));
      const { messages } = await queue.reserve({ count: 4, consumer: 'c' });
      const [a, b, c, d] = messages;
      await queue.ack(a!);
      await queue.nack(b!);
      await queue.nack(c!, { dead: true, reason: 'no' });
      await queue.release([d!]);
      const counted = await other.throughput(2);
      expect(counted).toHaveLength(2);
      // The minute may have turned between two steps: the counts of both minutes add up.
      const sum = (field: 'put' | 'acked' | 'retried' | 'dead' | 'released') => counted.reduce((total, minute) => total + minute[field], 0);
      expect({ put: sum('put'), acked: sum('acked'), retried: sum('retried'), dead: sum('dead'), released: sum('released') })
        .toEqual({ put: 5, acked: 1, retried: 1, dead: 1, released: 1 });
      // The running totals are counted as before.
      expect((await queue.stats()).totals).toMatchObject({ put: 5, acked: 1, retried: 1, dead: 1, released: 1 });
    } finally {
      await other.close();
      await queue.close();
    }
  });

  it('keeps each minute for 65 minutes: a bounded ring, whatever the traffic', async () => {
    const name = uniqueName('tp');
    const queue = new TaskQueue<number>({ redis, name });
    try {
      await queue.put(1);
      const keys = await redis.keys(`{hotq:${name}}:tp:*`);
      expect(keys).toHaveLength(1);
      const ttl = await redis.pttl(keys[0]!);
      expect(ttl).toBeGreaterThan(64 * MINUTE);
      expect(ttl).toBeLessThanOrEqual(65 * MINUTE);
      // A later count in the same minute does not push the expiry back.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await queue.put(2);
      expect(await redis.pttl(keys[0]!)).toBeLessThan(ttl);
    } finally {
      await queue.close();
    }
  });

  it('refuses a span that is not 1 to 60 minutes', async () => {
    const queue = new TaskQueue<number>({ redis, name: uniqueName('tp') });
    try {
      for (const minutes of [0, 61, 1.5, Number.NaN]) await expect(queue.throughput(minutes)).rejects.toThrow(InvalidArgumentError);
      await expect(queue.throughput(0)).rejects.toThrow(/minutes/);
    } finally {
      await queue.close();
    }
  });
});
