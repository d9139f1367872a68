import type { AddressInfo } from 'node:net';
import { Cluster } from 'ioredis';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { call, TestConsumer } from './helpers.js';

// The API on a real three-node Redis Cluster, with a Cluster client made the way the docs advise
// (no offline queue: requests fail fast while Redis is away).

let cluster: RedisCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await cluster?.dispose();
});

function connectCluster(options: { enableOfflineQueue?: boolean } = {}): Cluster {
  const client = new Cluster([...cluster.nodes], options);
  clients.push(client);
  return client;
}

describe('the API on Redis Cluster', () => {
  it('takes jobs, serves them, their results, stats and readiness', async () => {
    const redis = connectCluster({ enableOfflineQueue: false });
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    const prefix = uniqueName('p');
    const queue = uniqueName('q');
    const app = createApp({ redis, prefix, queue });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const consumer = new TestConsumer(connectCluster(), prefix, queue);
    try {
      expect((await call(base, 'GET', '/readyz')).status).toBe(200);
      const submitted = await call(base, 'POST', '/jobs', { body: { type: 'echo', params: { n: 7 }, idempotencyKey: 'once' } });
      expect(submitted.status).toBe(201);
      const again = await call(base, 'POST', '/jobs', { body: { type: 'echo', params: { n: 7 }, idempotencyKey: 'once' } });
      expect(again).toMatchObject({ status: 200, body: { id: submitted.body.id } });

      expect(await consumer.runOne({ doubled: 14 })).toBe(submitted.body.id);
      expect(await call(base, 'GET', `/jobs/${submitted.body.id}`)).toMatchObject({ status: 200, body: { status: 'succeeded' } });
      expect(await call(base, 'GET', `/jobs/${submitted.body.id}/result`)).toMatchObject({ status: 200, body: { doubled: 14 } });
      expect(await call(base, 'GET', '/jobs?status=succeeded')).toMatchObject({ status: 200, body: { jobs: [{ id: submitted.body.id }] } });
      expect((await call(base, 'GET', '/stats')).status).toBe(200);
    } finally {
      await consumer.close();
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
