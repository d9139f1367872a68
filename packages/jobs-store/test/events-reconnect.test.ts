import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../src/index.js';
import { Fixture, sleep } from './_support.js';

// This test drops connections, so it runs on a Redis server of its own.
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.dispose();
});

describe('watch across a dropped subscriber connection', () => {
  it('looks at the job again after reconnecting, so a change published meanwhile is not lost', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const events: JobEvent[] = [];
    const stop = await f.store.watch(id, (event) => events.push(event));
    // Drop the subscriber connection, then change the job while it is (probably) still away.
    await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await f.start(id);
    const deadline = Date.now() + 5_000;
    while (events.length < 2 && Date.now() < deadline) await sleep(10);
    expect(events.map((event) => (event.kind === 'status' ? event.job.status : 'progress'))).toEqual(['queued', 'running']);
    await stop();
  });
});
