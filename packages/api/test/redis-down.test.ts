import { Writable } from 'node:stream';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startApi, waitFor, type TestApi } from './helpers.js';
import { openEvents } from './sse-client.js';

// A private Redis that this file stops and starts; no other test sees the outage.
let server: RedisServer;
let api: TestApi;
const lines: Array<{ level: number; req?: { url: string }; res?: { statusCode: number }; err?: { message: string } }> = [];
beforeAll(async () => {
  server = await startRedisServer({ appendonly: true });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line)));
      done();
    },
  });
  api = await startApi({ url: server.url, commandTimeoutMs: 1_000, logger: pino({ level: 'info' }, sink) });
});
afterAll(async () => {
  await api.close();
  await server.dispose();
});

describe('Redis stopped and restarted', () => {
  it('answers 503 while Redis is down, stays up, and recovers by itself', async () => {
    const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).body;
    expect((await call(api.base, 'GET', '/readyz')).status).toBe(200);

    await server.stop();
    await waitFor(async () => (await call(api.base, 'GET', '/readyz')).status === 503, 'readyz to fail');

    const started = Date.now();
    const requests: Array<[string, string, unknown?]> = [
      ['POST', '/jobs', { type: 'echo' }],
      ['GET', '/jobs'],
      ['GET', `/jobs/${job.id}`],
      ['GET', `/jobs/${job.id}/result`],
      ['GET', `/jobs/${job.id}/events`],
      ['DELETE', `/jobs/${job.id}`],
      ['POST', `/jobs/${job.id}/retry`],
      ['GET', '/stats'],
      ['GET', '/workers'],
      ['GET', '/readyz'],
    ];
    for (const [method, path, body] of requests) {
      const answer = await call(api.base, method, path, body === undefined ? {} : { body });
      expect(answer.status, `${method} ${path}`).toBe(503);
      expect(answer.body.error.code).toBe('redis_unavailable');
    }
    // Fast: nothing waits for a reconnect.
    expect(Date.now() - started).toBeLessThan(5_000);
    // Each 503 is one log line, at warn, saying why.
    const outage = lines.filter((line) => line.res?.statusCode === 503);
    expect(outage.length).toBeGreaterThanOrEqual(requests.length);
    expect(outage.every((line) => line.level === 40 && typeof line.err?.message === 'string')).toBe(true);
    expect(lines.every((line) => line.req !== undefined)).toBe(true);

    // What needs no Redis still works; bad input is still a 400, not a 503.
    expect((await call(api.base, 'GET', '/healthz')).status).toBe(200);
    expect((await call(api.base, 'GET', '/openapi.json')).status).toBe(200);
    expect((await call(api.base, 'POST', '/jobs', { body: { type: 'BAD' } })).status).toBe(400);
    const metrics = await call(api.base, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('hotq_redis_up 0');

    await server.start();
    await waitFor(async () => (await call(api.base, 'GET', '/readyz')).status === 200, 'readyz to recover', 10_000);
    expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body.status).toBe('queued');
    expect((await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).status).toBe(201);
    expect((await call(api.base, 'GET', '/metrics')).text).toContain('hotq_redis_up 1');
  });

  it('keeps an open event stream through a Redis restart: it resubscribes and still sees the end', async () => {
    const job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
    const stream = await openEvents(`${api.base}/jobs/${job.id}/events`);
    expect((await stream.next())?.data.status).toBe('delayed');
    await server.stop();
    await waitFor(async () => (await call(api.base, 'GET', '/readyz')).status === 503, 'readyz to fail');
    await server.start();
    await waitFor(async () => (await call(api.base, 'GET', '/readyz')).status === 200, 'readyz to recover', 10_000);
    // Give the subscriber a moment to come back, then end the job: the old stream sees it.
    await waitFor(async () => ((await api.redis.call('PUBSUB', 'CHANNELS', `*${api.queue}*`)) as string[]).length > 0, 'the subscriber to come back', 10_000);
    expect((await call(api.base, 'DELETE', `/jobs/${job.id}`)).status).toBe(200);
    const next = await stream.next();
    expect(next).toMatchObject({ event: 'status', data: { status: 'cancelled' } });
    expect(await stream.next()).toBeNull();
  });
});
