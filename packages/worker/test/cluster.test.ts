import { Cluster } from 'ioredis';
import type { JobEvent } from '@hotq/jobs-store';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, NonRetryableError, type Handlers, type Worker } from '../src/index.js';
import { memoryLogger, producer, TERMINAL, until } from './_helpers.js';

// The whole job path on a real three-node Redis Cluster: submission, the worker's reserve, progress,
// heartbeat and presence, retries, results and the events of a watched job.

let cluster: RedisCluster;
const clients: Cluster[] = [];
let worker: Worker | undefined;

function connectCluster(): Cluster {
  const client = new Cluster([...cluster.nodes]);
  clients.push(client);
  return client;
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  for (const client of clients) client.disconnect();
  await cluster?.dispose();
});

describe('a worker on Redis Cluster', () => {
  it('runs jobs end to end: results, a retry, a failure, progress, events and presence', async () => {
    const queue = uniqueName('w');
    const jobs = producer(connectCluster(), queue);
    let flakyRuns = 0;
    const handlers: Handlers = {
      echo: async (job, ctx) => {
        await ctx.progress(50);
        return { echoed: job.params };
      },
      flaky: async () => {
        flakyRuns += 1;
        if (flakyRuns === 1) throw new Error('first try fails');
        return 'second try';
      },
      doomed: async () => {
        throw new NonRetryableError('never works');
      },
    };
    worker = createWorker({
      redis: connectCluster(), queue, handlers, concurrency: 4, heartbeatMs: 100,
      backoff: { baseMs: 10, maxMs: 20 }, logger: memoryLogger().logger,
    });
    await worker.start();

    const echoes = await Promise.all([1, 2, 3].map((n) => jobs.submit({ type: 'echo', params: { n } })));
    const watched: JobEvent[] = [];
    const unwatch = await jobs.store.watch(echoes[0]!, (event) => watched.push(event));
    const flaky = await jobs.submit({ type: 'flaky' });
    const doomed = await jobs.submit({ type: 'doomed' });

    for (const [index, id] of echoes.entries()) {
      expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded', progress: 50 });
      expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { echoed: { n: index + 1 } } });
    }
    expect(await jobs.waitFor(flaky, TERMINAL)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await jobs.waitFor(doomed, TERMINAL)).toMatchObject({ status: 'failed', error: { message: 'never works' } });
    await until(() => watched.some((event) => event.kind === 'status' && event.job.status === 'succeeded'), 'the watched job\'s event');
    await unwatch();

    expect((await jobs.store.workers()).map((info) => info.id)).toEqual([worker.id]);
    expect(await jobs.store.counts()).toMatchObject({ queued: 0, running: 0, succeeded: 4, failed: 1 });
    expect(await jobs.queue.stats()).toMatchObject({ ready: 0, leased: 0, totals: { put: 5, retried: 1 } });
    await jobs.close();
  });
});
