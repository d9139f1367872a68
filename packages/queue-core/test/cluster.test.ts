import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskQueue } from '../src/index.js';

// On a real three-node Redis Cluster: every key of a queue shares one hash tag, so every script
// (including the hand-off to a waiting consumer, which touches the waiter's inbox) runs on one node.

let cluster: RedisCluster;
let client: Cluster;
const queues: TaskQueue[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = new Cluster([...cluster.nodes]);
}, 60_000);
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  client?.disconnect();
  await cluster?.dispose();
});

function makeQueue<T>(name: string): TaskQueue<T> {
  // Leases long enough that a loaded machine (CI runs many suites at once) expires only the one the
  // test lets run out.
  const queue = new TaskQueue<T>({ redis: client, name, leaseMs: 1_000 });
  queues.push(queue as TaskQueue);
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TaskQueue on Redis Cluster', () => {
  it('puts, reserves, acknowledges, retries and hands over, all keys in one slot', async () => {
    const name = uniqueName('q');
    const producer = makeQueue<{ n: number }>(name);
    const consumer = makeQueue<{ n: number }>(name);
    await producer.putMany([1, 2, 3].map((n) => ({ payload: { n } })));
    await producer.put({ n: 4 }, { delayMs: 50 });

    const { messages } = await consumer.reserve({ count: 3 });
    expect(messages.map((m) => m.payload.n)).toEqual([1, 2, 3]);
    expect(await consumer.ack(messages[0]!)).toBe(true);
    expect(await consumer.nack(messages[1]!, { delayMs: 10 })).toBe('retry');
    await sleep(1_100); // the third lease runs out; the delayed and retried ones come due
    const again = await consumer.reserve({ count: 5 });
    expect(again.messages.map((m) => m.payload.n).sort()).toEqual([2, 3, 4]);
    for (const message of again.messages) expect(await consumer.ack(message)).toBe(true);

    // An idle consumer registered as waiting gets the next message from the put itself.
    const waiting = consumer.reserve({ waitMs: 5_000 });
    for (let tries = 0; (await client.zcard(`${producer.keyBase}:waiters`)) === 0; tries += 1) {
      if (tries > 200) throw new Error('the consumer never registered as waiting');
      await sleep(5);
    }
    await producer.put({ n: 5 });
    const [handed] = (await waiting).messages;
    expect(handed?.payload.n).toBe(5);
    expect(await consumer.ack(handed!)).toBe(true);

    expect(await producer.stats()).toMatchObject({ ready: 0, delayed: 0, leased: 0, totals: { put: 5, acked: 5, retried: 1, expired: 1 } });
    // Every key the queue made lives on one node, in one slot.
    const slots = new Set<number>();
    for (const node of client.nodes('master')) {
      for (const key of await (node as Redis).keys(`${producer.keyBase}*`)) slots.add(await (node as Redis).cluster('KEYSLOT', key) as number);
    }
    expect(slots.size).toBe(1);
  });
});
