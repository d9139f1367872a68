import { Cluster } from 'ioredis';
import { PartitionMismatchError } from '@hotq/queue-core';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, type Handlers, type Worker } from '../src/index.js';
import { memoryLogger, producer, TERMINAL } from './_helpers.js';

// Workers of a queue of six partitions on a real three-master Redis Cluster: every partition
// served, an idle worker woken by a job in any partition, a worker of another count refused.

let cluster: RedisCluster;
const clients: Cluster[] = [];
const workers: Worker[] = [];

function connectCluster(): Cluster {
  const client = new Cluster([...cluster.nodes]);
  clients.push(client);
  return client;
}

function start(queue: string, handlers: Handlers, partitions = 6, concurrency = 4): Worker {
  const worker = createWorker({ redis: connectCluster(), queue, partitions, handlers, concurrency, logger: memoryLogger().logger });
  workers.push(worker);
  return worker;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map(async (worker) => await worker.stop()));
  for (const client of clients) client.disconnect();
  await cluster?.dispose();
});

describe('workers of a partitioned queue on Redis Cluster', () => {
  it('run every job of every partition, each once, and leave nothing leased', async () => {
    const queue = uniqueName('w');
    const runs = new Map<string, number>();
    const handlers: Handlers = {
      echo: async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        return job.params;
      },
    };
    const jobs = producer(connectCluster(), queue, 'hotq', 6);
    await Promise.all([start(queue, handlers).start(), start(queue, handlers).start()]);
    const ids = await Promise.all(Array.from({ length: 120 }, async (_, n) => await jobs.submit({ type: 'echo', params: { n } })));
    expect(new Set(ids.map((id) => jobs.store.partitions.partitionOf(id))).size).toBe(6);
    for (const id of ids) expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded' });
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(runs.size).toBe(120);
    expect(await jobs.store.counts()).toMatchObject({ queued: 0, running: 0, succeeded: 120 });
    expect((await jobs.queue.partitionStats()).map((stats) => stats.totals.acked)).toEqual([20, 20, 20, 20, 20, 20]);
    await jobs.close();
  });

  it('wakes an idle worker at once for a job put in any partition', async () => {
    const queue = uniqueName('w');
    const jobs = producer(connectCluster(), queue, 'hotq', 6);
    const worker = start(queue, { echo: async (job) => job.params }, 6, 1);
    await worker.start();
    // Long enough for the worker to find every partition empty and go to sleep on the doorbell.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let n = 0; n < 6; n += 1) {
      const started = Date.now();
      const id = await jobs.submit({ type: 'echo', params: { n } });
      expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded' });
      // Well under the worker's bounded idle wait (2 s): the doorbell woke it.
      expect(Date.now() - started).toBeLessThan(1_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await jobs.close();
  });

  it('refuses to start on a queue of another partition count', async () => {
    const queue = uniqueName('w');
    const jobs = producer(connectCluster(), queue, 'hotq', 6);
    await jobs.submit({ type: 'echo' });
    const worker = start(queue, {}, 3);
    const error = await worker.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartitionMismatchError);
    expect((error as Error).message).toMatch(/has 6 partitions, but this process was started with 3 partitions/);
    expect(worker.state).toBe('stopped');
    await jobs.close();
  });
});
