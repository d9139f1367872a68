import { Cluster } from 'ioredis';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRedisUnavailable, RedisUnavailableError, TaskQueue } from '../src/index.js';

// A master of a three-master cluster stops and comes back: the partitions it holds answer
// RedisUnavailableError meanwhile (never a script failure), the others go on, and it all works once
// the master is back. A cluster of its own: no other test sees the outage.

let cluster: RedisCluster;
let client: Cluster;
let queue: TaskQueue<string>;

beforeAll(async () => {
  cluster = await startRedisCluster(3, { args: ['--appendonly', 'yes'], nodeTimeoutMs: 30_000 });
  client = new Cluster([...cluster.nodes], { clusterRetryStrategy: () => 100, redisOptions: { maxRetriesPerRequest: 1 } });
  client.on('error', () => {});
  queue = new TaskQueue<string>({ redis: client, name: uniqueName('q'), partitions: 6, commandTimeoutMs: 3_000 });
}, 60_000);
afterAll(async () => {
  await queue?.close();
  client?.disconnect();
  await cluster?.dispose();
});

/** A partition key of `partition`. */
function keyFor(partition: number): string {
  for (let n = 0; ; n += 1) if (queue.partitions.partitionForKey(`k${n}`) === partition) return `k${n}`;
}

describe('a partitioned queue while one master is away', () => {
  it('refuses the partitions of the stopped master as unavailable, serves the others, and recovers', { timeout: 60_000 }, async () => {
    await queue.putMany([0, 1, 2, 3, 4, 5].map((partition) => ({ payload: `before ${partition}`, partitionKey: keyFor(partition) })));
    // Partitions 0 and 1 live on the first master (slots 0 to 5461).
    await cluster.servers[0]!.stop();
    const refused = await queue.put('while away', { partitionKey: keyFor(0) }).then(() => null, (error: unknown) => error);
    expect(refused, String((refused as Error)?.message) + ' / ' + String(((refused as Error)?.cause as Error)?.message)).toBeInstanceOf(RedisUnavailableError);
    expect(isRedisUnavailable(refused)).toBe(true);
    expect(isRedisUnavailable(new Error('MOVED 734 127.0.0.1:6379'))).toBe(true);
    expect(isRedisUnavailable(new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 1288 127.0.0.1:6379'))).toBe(true);
    expect(isRedisUnavailable(new Error("Cluster isn't ready and enableOfflineQueue options is false"))).toBe(true);
    expect(isRedisUnavailable(new Error('ERR unknown command'))).toBe(false);
    // The other masters' partitions go on.
    expect(await queue.put('still taken', { partitionKey: keyFor(4) })).toMatchObject({ outcome: 'queued' });

    await cluster.servers[0]!.start();
    let stats: Awaited<ReturnType<TaskQueue['partitionStats']>> | undefined;
    for (let tries = 0; tries < 100 && stats === undefined; tries += 1) {
      stats = await queue.partitionStats().catch((error: unknown) => {
        if (!isRedisUnavailable(error)) throw error;
        return undefined;
      });
      if (stats === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(stats?.map((partition) => partition.ready)).toEqual([1, 1, 1, 1, 2, 1]);
  });
});
