// A server still loading its data answers LOADING: that is "Redis unavailable" (retry later), the
// same rule everywhere, never a failed script that would make a worker give up a completion.
import { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { afterAll, describe, expect, it } from 'vitest';
import { isRedisUnavailable, RedisUnavailableError, TaskQueue } from '../src/index.js';

let server: RedisServer | undefined;
afterAll(async () => {
  await server?.dispose();
});

describe('a server loading its data set', () => {
  it('makes every TaskQueue call fail with RedisUnavailableError until it is loaded, then work', { timeout: 60_000 }, async () => {
    // 2,000 keys loaded at 2 ms each: about four seconds of LOADING after a restart, answering
    // clients between keys.
    server = await startRedisServer({ args: ['--key-load-delay', '2000', '--loading-process-events-interval-bytes', '1024'] });
    const admin = new Redis(server.url);
    const name = uniqueName('loading');
    await new TaskQueue({ redis: admin, name }).put('before the restart', { id: 'kept' });
    const pipeline = admin.pipeline();
    for (let i = 0; i < 2_000; i += 1) pipeline.set(`filler:${i}`, 'x');
    await pipeline.exec();
    await admin.save();
    admin.disconnect();
    await server.stop();
    await server.start();

    // No ready check: the client talks to the server while it loads, as one connected during a
    // failover or a restart does.
    const redis = new Redis(server.url, { enableReadyCheck: false, maxRetriesPerRequest: 1 });
    const queue = new TaskQueue<string>({ redis, name });
    const during = await queue.reserve().then(() => null, (error: unknown) => error);
    expect(during).toBeInstanceOf(RedisUnavailableError);
    expect(String((during as Error).message)).toMatch(/LOADING/);
    expect(isRedisUnavailable(during)).toBe(true);
    expect(isRedisUnavailable(new Error('LOADING Redis is loading the dataset in memory'))).toBe(true);
    expect(isRedisUnavailable(new Error('READONLY You can\'t write against a read only replica.'))).toBe(true);
    expect(isRedisUnavailable(new Error('ERR wrong number of arguments'))).toBe(false);

    let messages: string[] = [];
    for (let tries = 0; tries < 200 && messages.length === 0; tries += 1) {
      try {
        messages = (await queue.reserve()).messages.map((message) => message.payload);
      } catch (error) {
        if (!isRedisUnavailable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(messages).toEqual(['before the restart']);
    redis.disconnect();
  });
});
