import type { AddressInfo } from 'node:net';
import { Cluster } from 'ioredis';
import { QueuePartitions } from '@hotq/queue-core';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type CreateAppOptions } from '../src/index.js';
import { call, TestConsumer } from './helpers.js';

// The API of a queue of six partitions on a real three-master Redis Cluster: one queue to its
// clients (one id space, one list, one set of counts), each job in the partition its id names.

let cluster: RedisCluster;
const clients: Cluster[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  for (const close of closers) await close();
  for (const client of clients) client.disconnect();
  await cluster?.dispose();
});

function connectCluster(options: { enableOfflineQueue?: boolean } = {}): Cluster {
  const client = new Cluster([...cluster.nodes], options);
  clients.push(client);
  return client;
}

async function startApi(options: Partial<CreateAppOptions> = {}) {
  const redis = connectCluster({ enableOfflineQueue: false });
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const prefix = uniqueName('p');
  const queue = uniqueName('q');
  const app = createApp({ redis, prefix, queue, partitions: 6, ...options });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  closers.push(async () => {
    await app.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const consumer = new TestConsumer(connectCluster(), prefix, queue, 6);
  closers.push(async () => await consumer.close());
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, partitions: new QueuePartitions(prefix, queue, 6), consumer };
}

describe('the API of a partitioned queue on Redis Cluster', () => {
  it('submits into the partitions, reads and cancels each job by its id, and lists them as one queue', async () => {
    const { base, partitions, consumer } = await startApi();
    const ids: string[] = [];
    for (let n = 0; n < 12; n += 1) {
      const submitted = await call(base, 'POST', '/jobs', { body: { type: 'echo', params: { n } } });
      expect(submitted.status).toBe(201);
      expect(submitted.headers.get('location')).toBe(`/jobs/${submitted.body.id}`);
      ids.push(submitted.body.id);
    }
    expect(new Set(ids.map((id) => partitions.partitionOf(id))).size).toBe(6);
    for (const id of ids) expect(await call(base, 'GET', `/jobs/${id}`)).toMatchObject({ status: 200, body: { id, status: 'queued' } });

    const pages: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page += 1) {
      const listed = await call(base, 'GET', `/jobs?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      expect(listed.status).toBe(200);
      pages.push(...listed.body.jobs.map((job: { id: string }) => job.id));
      if (listed.body.nextCursor === null) break;
      cursor = listed.body.nextCursor;
    }
    expect(pages).toEqual([...ids].reverse());

    const cancelled = await call(base, 'DELETE', `/jobs/${ids[3]}`);
    expect(cancelled).toMatchObject({ status: 200, body: { id: ids[3], status: 'cancelled' } });
    const ran = await consumer.runOne({ ok: true });
    expect(await call(base, 'GET', `/jobs/${ran}/result`)).toMatchObject({ status: 200, body: { ok: true } });
    expect(await call(base, 'POST', `/jobs/${ids[3]}/retry`)).toMatchObject({ status: 200, body: { status: 'queued' } });
    // An id of a partition this queue does not have is no job of it.
    const foreign = new QueuePartitions('hotq', 'x', 8).stampId('01JD5Z3V9Q8W7E6R5T4Y3X2H1G', 7);
    expect((await call(base, 'GET', `/jobs/${foreign}`)).status).toBe(404);
    expect((await call(base, 'DELETE', `/jobs/${foreign}`)).status).toBe(404);
  });

  it('keeps one partitionKey in one partition, and answers a bad one with 400', async () => {
    const { base, partitions } = await startApi();
    const batch = await call(base, 'POST', '/jobs/batch', {
      body: { jobs: Array.from({ length: 8 }, (_, n) => ({ type: 'echo', params: { n }, partitionKey: 'customer-42' })) },
    });
    expect(batch.status).toBe(201);
    expect(new Set(batch.body.jobs.map((job: { id: string }) => partitions.partitionOf(job.id)))).toEqual(new Set([partitions.partitionForKey('customer-42')]));
    for (const partitionKey of ['', 'x'.repeat(129), 42, 'tab\there']) {
      const refused = await call(base, 'POST', '/jobs', { body: { type: 'echo', partitionKey } });
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toMatch(/^partitionKey: must be a string of 1 to 128 printable ASCII characters/);
    }
  });

  it('shows the queue as one in /stats and /metrics, each partition on request', async () => {
    const { base, consumer } = await startApi();
    await call(base, 'POST', '/jobs/batch', { body: { jobs: Array.from({ length: 12 }, (_, n) => ({ type: 'echo', params: { n } })) } });
    await consumer.runOne(null);
    const stats = await call(base, 'GET', '/stats');
    expect(stats.body).toMatchObject({ partitionCount: 6, counts: { queued: 11, succeeded: 1 }, queue: { ready: 11 } });
    expect(stats.body.partitions).toBeUndefined();
    const detailed = await call(base, 'GET', '/stats?partitions=true');
    expect(detailed.status).toBe(200);
    expect(detailed.body.partitions).toHaveLength(6);
    expect(detailed.body.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2, 3, 4, 5]);
    const sum = (pick: (p: { counts: Record<string, number>; queue: Record<string, number> }) => number): number =>
      detailed.body.partitions.reduce((total: number, p: { counts: Record<string, number>; queue: Record<string, number> }) => total + pick(p), 0);
    expect(sum((p) => p.counts.queued ?? 0)).toBe(11);
    expect(sum((p) => p.counts.succeeded ?? 0)).toBe(1);
    expect(sum((p) => p.queue.ready ?? 0)).toBe(11);
    expect((await call(base, 'GET', '/stats?partitions=yes')).status).toBe(400);
    const metrics = await call(base, 'GET', '/metrics');
    expect(metrics.text).toMatch(/^hotq_partitions 6$/m);
    expect(metrics.text).toMatch(/^hotq_queue_depth\{state="ready"\} 11$/m);
    expect(metrics.text.match(/^hotq_partition_queue_depth\{partition="\d",state="ready"\} \d+$/gm)).toHaveLength(6);
  });

  it('answers a batch that one full partition refused with 429, naming what was written and what was not', async () => {
    const { base, partitions } = await startApi({ maxQueued: 12 });
    let full = '';
    for (let n = 0; !full; n += 1) if (partitions.partitionForKey(`k${n}`) === 2) full = `k${n}`;
    let free = '';
    for (let n = 0; !free; n += 1) if (partitions.partitionForKey(`k${n}`) === 4) free = `k${n}`;
    expect((await call(base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'a', partitionKey: full }, { type: 'a', partitionKey: full }] } })).status).toBe(201);
    const answer = await call(base, 'POST', '/jobs/batch', {
      body: { jobs: [{ type: 'b', partitionKey: free }, { type: 'b', partitionKey: full }] },
    });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body.error).toMatchObject({ code: 'queue_full', details: { written: [0], failed: [1] } });
    expect(answer.body.error.message).toMatch(/jobs at positions 0 were written; those at 1 were not: the queue is full/);
    expect((await call(base, 'GET', '/stats')).body.counts.queued).toBe(3);
  });

  it('refuses a limit smaller than the partition count, naming the field', async () => {
    const { base } = await startApi();
    const refused = await call(base, 'PUT', '/limits/queue', { body: { concurrency: 3 } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^concurrency: at least 6 on a queue of 6 partitions/);
    expect(await call(base, 'PUT', '/limits/type/render', { body: { concurrency: 12 } })).toMatchObject({ status: 200, body: { concurrency: 12 } });
    expect((await call(base, 'GET', '/limits')).body.limits).toEqual([{ scope: 'type:render', concurrency: 12, rate: null, running: 0, recentStarts: 0 }]);
  });
});
