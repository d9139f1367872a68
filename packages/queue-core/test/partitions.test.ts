import { Cluster } from 'ioredis';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError, PartialPutError, PartitionMismatchError, QueueFullError, QueuePartitions, TaskQueue, type TaskQueueOptions,
} from '../src/index.js';

// A partitioned queue on a real three-master Redis Cluster: partitions on every master, each step
// of a message on its partition's slot, consumers serving every partition.

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

function makeQueue<T>(name: string, partitions: number, options: Partial<TaskQueueOptions<T>> = {}): TaskQueue<T> {
  const queue = new TaskQueue<T>({ redis: client, name, partitions, leaseMs: 5_000, ...options });
  queues.push(queue as TaskQueue);
  return queue;
}

/** The master (0, 1 or 2, in slot order) that holds `key`. */
async function masterOf(key: string): Promise<number> {
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
  return Math.floor(slot / Math.ceil(16_384 / 3));
}

/** A partition key that goes to `partition` of `partitions`. */
function keyFor(partitions: QueuePartitions, partition: number): string {
  for (let n = 0; ; n += 1) if (partitions.partitionForKey(`key-${n}`) === partition) return `key-${n}`;
}

describe('partitions: key bases and ids', () => {
  it('keeps the key base of a queue of one partition, and spreads six partitions two per master', async () => {
    expect(new QueuePartitions('hotq', 'jobs').keyBases).toEqual(['{hotq:jobs}']);
    const six = new QueuePartitions('hotq', 'jobs', 6);
    expect(six.keyBase).toBe('{hotq:jobs}');
    expect(new Set(six.keyBases).size).toBe(6);
    const masters = await Promise.all(six.keyBases.map(async (base) => await masterOf(`${base}:ready`)));
    expect(masters).toEqual([0, 0, 1, 1, 2, 2]);
    // Every slot Redis computes is the one the tag was chosen for: slices of 16384 / 6.
    for (const [index, base] of six.keyBases.entries()) {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', `${base}:job:x`));
      expect(Math.floor(slot / (16_384 / 6))).toBe(index);
    }
    // Another process finds the same tags.
    expect(new QueuePartitions('hotq', 'jobs', 6).keyBases).toEqual(six.keyBases);
  });

  it('names the partition in the last two characters of a ULID, and leaves the ids of one partition alone', () => {
    const one = new QueuePartitions('hotq', 'jobs');
    const ulid = '01JD5Z3V9Q8W7E6R5T4Y3X2H1G';
    expect(one.stampId(ulid, 0)).toBe(ulid);
    expect(one.partitionOf(ulid)).toBe(0);
    const many = new QueuePartitions('hotq', 'jobs', 1024);
    for (const partition of [0, 1, 31, 32, 517, 1023]) {
      const id = many.stampId(ulid, partition);
      expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      expect(id.slice(0, 10)).toBe(ulid.slice(0, 10));
      expect(many.partitionOf(id)).toBe(partition);
    }
    const six = new QueuePartitions('hotq', 'jobs', 6);
    expect(six.partitionOf(many.stampId(ulid, 6))).toBeUndefined();
    expect(six.partitionOf('not-an-id')).toBeUndefined();
    expect(() => six.stampId(ulid, 6)).toThrow(InvalidArgumentError);
    expect(() => new QueuePartitions('hotq', 'jobs', 1025)).toThrow(/partitions must be an integer from 1 to 1024/);
    expect(() => six.partitionForKey('')).toThrow(/partitionKey must be 1 to 128 printable ASCII characters/);
  });
});

describe('a partitioned TaskQueue on Redis Cluster', () => {
  it('spreads puts over the partitions, and one consumer takes, acks and empties them all', async () => {
    const queue = makeQueue<{ n: number }>(uniqueName('q'), 6);
    const puts = await queue.putMany(Array.from({ length: 60 }, (_, n) => ({ payload: { n } })));
    expect(puts.every((put) => put.outcome === 'queued')).toBe(true);
    expect((await queue.partitionStats()).map((stats) => stats.ready)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(new Set(puts.map((put) => queue.partitions.partitionOf(put.id))).size).toBe(6);

    const seen = new Set<number>();
    let acks: Array<{ lease: { id: string; token: string } }> = [];
    for (let call = 0; call < 40 && seen.size < 60; call += 1) {
      const { messages, acked } = await queue.reserve({ count: 4, acks });
      expect(acked.every(Boolean)).toBe(true);
      for (const message of messages) seen.add(message.payload.n);
      acks = messages.map((message) => ({ lease: message }));
    }
    await queue.reserve({ count: 0, acks });
    expect(seen.size).toBe(60);
    const stats = await queue.stats();
    expect(stats).toMatchObject({ ready: 0, leased: 0, totals: { put: 60, acked: 60 } });
  });

  it('keeps the jobs of one partition key in one partition, in order', async () => {
    const queue = makeQueue<{ key: string; n: number }>(uniqueName('q'), 6);
    const keys = ['alpha', 'beta', 'gamma'];
    for (let n = 0; n < 10; n += 1) {
      await queue.putMany(keys.map((key) => ({ payload: { key, n }, partitionKey: key })));
    }
    const taken: Array<{ key: string; n: number; partition: number | undefined }> = [];
    for (let call = 0; call < 100 && taken.length < 30; call += 1) {
      const { messages } = await queue.reserve({ count: 1 });
      for (const message of messages) {
        taken.push({ ...message.payload, partition: queue.partitions.partitionOf(message.id) });
        await queue.ack(message);
      }
    }
    for (const key of keys) {
      const ofKey = taken.filter((job) => job.key === key);
      expect(ofKey.map((job) => job.n)).toEqual([...Array(10).keys()]);
      expect(new Set(ofKey.map((job) => job.partition))).toEqual(new Set([queue.partitions.partitionForKey(key)]));
    }
  });

  it('serves every partition: a few jobs in one are taken early while another holds hundreds', async () => {
    const queue = makeQueue<{ busy: boolean }>(uniqueName('q'), 6);
    const busy = keyFor(queue.partitions, 1);
    const quiet = keyFor(queue.partitions, 4);
    await queue.putMany(Array.from({ length: 400 }, () => ({ payload: { busy: true }, partitionKey: busy })));
    // The consumer is on the busy partition (the only one with work) when the quiet one gets some.
    const first = await queue.reserve({ count: 2 });
    expect(first.messages.map((message) => message.payload.busy)).toEqual([true, true]);
    await queue.putMany(Array.from({ length: 5 }, () => ({ payload: { busy: false }, partitionKey: quiet })));
    const order: boolean[] = [];
    let acks: Array<{ lease: { id: string; token: string } }> = first.messages.map((message) => ({ lease: message }));
    while (order.filter((busyJob) => !busyJob).length < 5 && order.length < 405) {
      const { messages } = await queue.reserve({ count: 2, acks });
      order.push(...messages.map((message) => message.payload.busy));
      acks = messages.map((message) => ({ lease: message }));
    }
    // Each partition gets its turn at least every 6 * 8 calls of 2 jobs.
    expect(order.lastIndexOf(false)).toBeLessThan(6 * 8 * 2 + 5);
  });

  it('wakes a consumer that sleeps on an empty queue when a job is put in any partition', async () => {
    const name = uniqueName('q');
    const consumer = makeQueue<string>(name, 6);
    const producer = makeQueue<string>(name, 6);
    await consumer.checkLayout();
    for (const partition of [0, 5]) {
      const started = Date.now();
      const waiting = consumer.reserve({ waitMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 150));
      await producer.put(`for ${partition}`, { partitionKey: keyFor(producer.partitions, partition) });
      const { messages } = await waiting;
      expect(messages.map((message) => message.payload)).toEqual([`for ${partition}`]);
      expect(Date.now() - started).toBeLessThan(2_000);
      await consumer.ack(messages[0]!);
    }
    // A wait ends with its signal.
    const controller = new AbortController();
    const started = Date.now();
    const waiting = consumer.reserve({ waitMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    expect((await waiting).messages).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('routes every step of a job by its id: extend, nack, release, remove, stop requests', async () => {
    const queue = makeQueue<number>(uniqueName('q'), 6);
    await queue.putMany([1, 2, 3, 4, 5, 6].map((n) => ({ payload: n })));
    const stopped: string[] = [];
    const listener = queue.listenForStops('me', (id) => stopped.push(id));
    await listener.ready;
    const { messages } = await queue.reserve({ count: 6, consumer: 'me' });
    expect(messages).toHaveLength(6);
    const extended = await queue.extend([...messages, { id: messages[0]!.id, token: 'stale' }]);
    expect(extended.map((result) => result.held)).toEqual([true, true, true, true, true, true, false]);
    expect(await queue.nack(messages[0]!, { delayMs: 60_000 })).toBe('retry');
    expect(await queue.release([messages[1]!, messages[2]!])).toBe(2);
    const removal = await queue.remove(messages[3]!.id);
    expect(removal.outcome).toBe('cancel-requested');
    await expect.poll(() => stopped).toEqual([messages[3]!.id]);
    expect((await queue.extend([messages[3]!]))[0]).toMatchObject({ held: true, cancelRequested: true });
    // An id that names no partition of the queue is no job of it.
    const foreign = new QueuePartitions('hotq', 'other', 8).stampId('01JD5Z3V9Q8W7E6R5T4Y3X2H1G', 7);
    expect(await queue.remove(foreign)).toEqual({ outcome: 'missing' });
    expect(await queue.ack({ id: foreign, token: 't' })).toBe(false);
    expect(await queue.nack({ id: foreign, token: 't' })).toBe('stale');
    await expect(queue.put(1, { id: foreign })).rejects.toThrow(/options\.id must be an id that names one of the queue's 6 partitions/);
    await listener.close();
    const stats = await queue.stats();
    expect(stats).toMatchObject({ ready: 2, delayed: 1, leased: 3 });
  });

  it('refuses a process started with another partition count, naming both counts', async () => {
    const name = uniqueName('q');
    await makeQueue(name, 6).put('x');
    const other = makeQueue(name, 3);
    const error = await other.checkLayout().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartitionMismatchError);
    expect(error).toMatchObject({ found: 6, expected: 3 });
    expect((error as Error).message).toMatch(/has 6 partitions, but this process was started with 3 partitions/);
    // Every call checks before its first command: nothing is written.
    await expect(other.put('y')).rejects.toThrow(PartitionMismatchError);
    await expect(makeQueue(name, 1).put('z')).rejects.toMatchObject({ found: 6, expected: 1 });
    // The other way round: a queue used with one partition refuses six.
    const plain = uniqueName('q');
    await makeQueue(plain, 1).put('x');
    await expect(makeQueue(plain, 6).put('y')).rejects.toMatchObject({ code: 'partition_mismatch', found: 1, expected: 6 });
    expect((await makeQueue(plain, 1).stats()).ready).toBe(1);
  });

  it('writes a batch one partition at a time and says which messages a full partition refused', async () => {
    const queue = makeQueue<string>(uniqueName('q'), 6, { maxQueued: 12 });
    const full = keyFor(queue.partitions, 2);
    const free = keyFor(queue.partitions, 3);
    await queue.putMany([{ payload: 'a', partitionKey: full }, { payload: 'b', partitionKey: full }]);
    const error = await queue.putMany([
      { payload: 'c', partitionKey: free }, { payload: 'd', partitionKey: full }, { payload: 'e', partitionKey: free },
    ]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PartialPutError);
    expect(error).toMatchObject({ written: [0, 2], failed: [1] });
    expect((error as PartialPutError).cause).toBeInstanceOf(QueueFullError);
    expect((await queue.partitionStats()).map((stats) => stats.ready)).toEqual([0, 0, 2, 2, 0, 0]);
    // Nothing written when the only partition refuses.
    await expect(queue.put('f', { partitionKey: full })).rejects.toThrow(QueueFullError);
    // A bad message anywhere in a batch writes nothing at all.
    await expect(queue.putMany([{ payload: 'g', partitionKey: free }, { payload: 'h', delayMs: -1 }])).rejects.toThrow(/messages\[1\]\.delayMs/);
    expect((await queue.stats()).ready).toBe(4);
  });

  it('shares a limit out among the partitions and refuses one below the partition count', async () => {
    const queue = makeQueue<string>(uniqueName('q'), 6);
    expect(await queue.setLimit('queue', { concurrency: 8, rate: { count: 20, perMs: 1_000 } })).toEqual({
      scope: 'queue', concurrency: 8, rate: { count: 20, perMs: 1_000 },
    });
    expect(await queue.limits()).toEqual([{ scope: 'queue', concurrency: 8, rate: { count: 20, perMs: 1_000 }, running: 0, recentStarts: 0 }]);
    await queue.putMany(Array.from({ length: 30 }, (_, n) => ({ payload: `job ${n}` })));
    let taken = 0;
    for (let call = 0; call < 12; call += 1) taken += (await queue.reserve({ count: 10 })).messages.length;
    // 8 leases at once across the partitions (each partition holds its share), never more.
    expect(taken).toBe(8);
    const error = await queue.setLimit('type:x', { concurrency: 3 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'limit.concurrency' });
    expect((error as Error).message).toMatch(/at least 6 on a queue of 6 partitions/);
    expect(await queue.removeLimit('queue')).toBe(true);
    expect(await queue.limits()).toEqual([]);
  });

  it('keeps schedules in partition 0, whose occurrences carry ids of partition 0', async () => {
    const queue = makeQueue<string>(uniqueName('q'), 6);
    await queue.setSchedule('nightly', { payload: 'run', everyMs: 60_000 });
    const run = await queue.runSchedule('nightly');
    expect(run?.outcome).toBe('queued');
    expect(queue.partitions.partitionOf(run!.id)).toBe(0);
    expect((await queue.partitionStats()).map((stats) => stats.ready)).toEqual([1, 0, 0, 0, 0, 0]);
    expect((await queue.listSchedules()).map((schedule) => schedule.id)).toEqual(['nightly']);
    const { messages } = await queue.reserve({ count: 5 });
    expect(messages.map((message) => message.id)).toEqual([run!.id]);
  });
});

describe('dependencies on a partitioned queue', () => {
  it('puts a message in the partition of its dependencies, and refuses dependencies spread over several', async () => {
    const queue = makeQueue<string>(uniqueName('pdeps'), 6);
    const [a, b] = await queue.putMany([{ payload: 'a', partitionKey: keyFor(queue.partitions, 1) }, { payload: 'b', partitionKey: keyFor(queue.partitions, 4) }]);
    const waiter = await queue.put('w', { dependsOn: [a!.id] });
    expect(waiter.outcome).toBe('waiting');
    expect(queue.partitions.partitionOf(waiter.id)).toBe(1);
    await expect(queue.put('x', { dependsOn: [a!.id, b!.id] })).rejects.toThrow(/dependsOn\[1\].*same partition as the others \(1\)/);
    await expect(queue.put('x', { id: queue.partitions.stampId(waiter.id, 4), dependsOn: [a!.id] })).rejects.toThrow(/waits only on messages of its own partition/);
    // The dependency's end, in its partition, makes the waiter ready there.
    let taken: string[] = [];
    for (let n = 0; n < 20 && !taken.includes(a!.id); n += 1) {
      const { messages } = await queue.reserve({ count: 10 });
      for (const message of messages) {
        taken.push(message.id);
        await queue.ack(message);
      }
    }
    taken = [];
    for (let n = 0; n < 20 && taken.length === 0; n += 1) taken = (await queue.reserve({ count: 10 })).messages.map((m) => m.id);
    expect(taken).toEqual([waiter.id]);
  });
});
