import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisUnavailableError, TaskQueue } from '../src/index.js';

// This file stops its Redis, so it has a private server: no other test sees the outage.
let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  redis.on('error', () => {});
});
afterAll(async () => {
  redis.disconnect();
  await server.dispose();
});

describe('TaskQueue when Redis goes away', () => {
  it('rejects with RedisUnavailableError within the bound, then works again when Redis is back', async () => {
    const queue = new TaskQueue({ redis, name: 'outage', commandTimeoutMs: 500 });
    await queue.put('before');
    await server.stop();

    const started = Date.now();
    await expect(queue.put('during', { id: 'during' })).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(queue.stats()).rejects.toMatchObject({ code: 'redis_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);

    await server.start();
    // The client reconnects by itself. The timed-out put may still have been sent from the client's
    // offline queue on reconnect; retrying it with the same id is safe either way.
    const deadline = Date.now() + 5_000;
    let retried;
    while (Date.now() < deadline) {
      try {
        retried = await queue.put('during', { id: 'during' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(['queued', 'exists']).toContain(retried?.outcome);
    const { messages } = await queue.reserve({ count: 10 });
    expect(messages.map((m) => m.id)).toEqual(['during']);
    await queue.close();
  });
});
