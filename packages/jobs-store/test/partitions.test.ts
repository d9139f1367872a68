import { Cluster } from 'ioredis';
import { TaskQueue } from '@hotq/queue-core';
import { startRedisCluster, uniqueName, type RedisCluster } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError, JobsStore, type Job, type JobEvent, type JobMessage, type SubmitInput } from '../src/index.js';

// Job records of a partitioned queue on a real three-master Redis Cluster: each job wholly in the
// partition its id names, reads by id in one round trip, lists and counts over every partition.

let cluster: RedisCluster;
let client: Cluster;
const queues: TaskQueue<JobMessage>[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = new Cluster([...cluster.nodes]);
}, 60_000);
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  client?.disconnect();
  await cluster?.dispose();
});

function fixture(partitions: number, name = uniqueName('jq')): { store: JobsStore; queue: TaskQueue<JobMessage> } {
  const store = new JobsStore({ redis: client, queue: name, partitions });
  const queue = new TaskQueue<JobMessage>({ redis: client, name, partitions, hooks: store.queueHooks() });
  queues.push(queue);
  return { store, queue };
}

async function submit(store: JobsStore, queue: TaskQueue<JobMessage>, inputs: SubmitInput[]): Promise<Job[]> {
  const prepared = inputs.map((input) => store.prepareSubmission(input));
  const puts = await queue.putMany(prepared.map((s) => ({ payload: s.payload, ...s.put })));
  expect(puts.map((put) => put.outcome)).toEqual(prepared.map((s) => (s.job.status === 'delayed' ? 'delayed' : 'queued')));
  return prepared.map((s) => s.job);
}

describe('a partitioned store on Redis Cluster', () => {
  it('keeps each job wholly in the partition its id names, and reads it back by id', async () => {
    const { store, queue } = fixture(6);
    const jobs = await submit(store, queue, Array.from({ length: 12 }, (_, n) => ({ type: 'echo', params: { n } })));
    expect(new Set(jobs.map((job) => store.partitions.partitionOf(job.id))).size).toBe(6);
    for (const job of jobs) {
      const base = store.partitions.keyBases[store.partitions.partitionOf(job.id) as number] as string;
      expect(await client.hget(`${base}:job:${job.id}`, 't')).toBe('echo');
      expect(await store.get(job.id)).toMatchObject({ id: job.id, status: 'queued', params: job.params });
    }
    // Nothing of a job under the queue's own base.
    expect(await client.exists(`${store.keyBase}:job:${jobs[0]!.id}`)).toBe(0);
    expect(await store.partitionCounts()).toEqual(Array.from({ length: 6 }, () => expect.objectContaining({ queued: 2 })));
    expect(await store.counts()).toMatchObject({ queued: 12, running: 0, succeeded: 0 });
  });

  it('runs a job through reserve and ack in its partition: status, result, counts', async () => {
    const { store, queue } = fixture(6);
    const [job] = await submit(store, queue, [{ type: 'echo', params: { hello: 'world' } }]);
    const { messages } = await queue.reserve({ count: 1, consumer: 'w1' });
    expect(messages.map((message) => message.id)).toEqual([job!.id]);
    expect(await store.get(job!.id)).toMatchObject({ status: 'running', worker: 'w1', attempts: 1 });
    expect(await store.progress(job!.id, messages[0]!.token, 50)).toBe(true);
    await queue.reserve({ count: 0, acks: [{ lease: messages[0]!, ...store.completion({ echoed: true }) }] });
    expect(await store.get(job!.id)).toMatchObject({ status: 'succeeded', progress: 50 });
    expect(await store.getResult(job!.id)).toEqual({ kind: 'json', value: { echoed: true } });
    expect(await store.counts()).toMatchObject({ queued: 0, running: 0, succeeded: 1 });
  });

  it('lists every partition newest first with one cursor, page after page, filters included', async () => {
    const { store, queue } = fixture(6);
    const jobs: Job[] = [];
    for (let n = 0; n < 25; n += 1) {
      jobs.push(...(await submit(store, queue, [{ type: n % 3 === 0 ? 'three' : 'other', params: { n } }])));
    }
    const newestFirst = jobs.map((job) => job.id).reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page += 1) {
      const { jobs: listed, nextCursor } = await store.list({ limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...listed.map((job) => job.id));
      if (nextCursor === null) break;
      cursor = nextCursor;
    }
    expect(seen).toEqual(newestFirst);
    const threes = await store.list({ type: 'three', limit: 100 });
    expect(threes.jobs.map((job) => job.id)).toEqual(jobs.filter((job) => job.type === 'three').map((job) => job.id).reverse());
    expect(threes.nextCursor).toBeNull();
  });

  it('sends one partition key to one partition, and refuses a malformed key', async () => {
    const { store, queue } = fixture(6);
    const jobs = await submit(store, queue, Array.from({ length: 10 }, (_, n) => ({ type: 'echo', params: { n }, partitionKey: 'customer-42' })));
    expect(new Set(jobs.map((job) => store.partitions.partitionOf(job.id)))).toEqual(new Set([store.partitions.partitionForKey('customer-42')]));
    expect(() => store.prepareSubmission({ type: 'echo', partitionKey: '' })).toThrow(JobInputError);
    expect(() => store.prepareSubmission({ type: 'echo', partitionKey: 'x'.repeat(129) })).toThrow(/partitionKey: must be 1 to 128 printable ASCII characters/);
    expect(() => store.prepareSubmission({ type: 'echo', partitionKey: 7 as unknown as string })).toThrow(/partitionKey/);
    // A queue of one partition checks the key too, and needs it for nothing.
    const single = fixture(1);
    expect(single.store.prepareSubmission({ type: 'echo', partitionKey: 'customer-42' }).id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
  });

  it('answers the same idempotency key with the first job, whatever partition comes next in turn', async () => {
    const { store, queue } = fixture(6);
    const first = store.prepareSubmission({ type: 'echo', idempotencyKey: 'order-7' });
    await queue.put(first.payload, first.put);
    for (let again = 0; again < 6; again += 1) {
      const resend = store.prepareSubmission({ type: 'echo', idempotencyKey: 'order-7' });
      expect(store.partitions.partitionOf(resend.id)).toBe(store.partitions.partitionOf(first.id));
      expect(await queue.put(resend.payload, resend.put)).toMatchObject({ outcome: 'refused', refusal: first.id });
    }
    expect((await store.counts()).queued).toBe(1);
  });

  it('cancels, retries and deletes in bulk over every partition, and one by one by id', async () => {
    const { store, queue } = fixture(6);
    const jobs = await submit(store, queue, Array.from({ length: 18 }, (_, n) => ({ type: 'echo', params: { n } })));
    expect(await store.cancelJobs(queue, { status: 'queued' })).toMatchObject({ matched: 18, changed: 18 });
    expect(await store.counts()).toMatchObject({ queued: 0, cancelled: 18 });
    expect(await store.retryJobs(queue, { status: 'cancelled', type: 'echo' })).toMatchObject({ matched: 18, changed: 18 });
    expect((await store.counts()).queued).toBe(18);
    const [one] = jobs;
    expect(await queue.remove(one!.id, { hook: 'cancelJob' })).toEqual({ outcome: 'removed' });
    const retry = await store.prepareRetry(one!.id);
    expect(retry?.put.id).toBe(one!.id);
    expect(await store.delete(one!.id)).toBe(true);
    expect(await store.get(one!.id)).toBeNull();
    expect(await store.deleteJobs({ all: true }, { dryRun: true })).toEqual({ matched: 17, changed: 0, skipped: { count: 17, reasons: { not_finished: 17 } }, dryRun: true });
    expect((await store.counts()).queued).toBe(17);
  });

  it('streams the events of a job in any partition', async () => {
    const { store, queue } = fixture(6);
    const jobs = await submit(store, queue, Array.from({ length: 6 }, () => ({ type: 'echo' })));
    const last = jobs[5]!;
    const events: JobEvent[] = [];
    const stop = await store.watch(last.id, (event) => events.push(event));
    await queue.remove(last.id, { hook: 'cancelJob' });
    await expect.poll(() => events.map((event) => (event.kind === 'status' ? event.job.status : 'progress'))).toEqual(['queued', 'cancelled']);
    await stop();
  });

  it('finds no job for an id of another partition count, and refuses hooks of another count', async () => {
    const { store } = fixture(6);
    const foreign = new JobsStore({ redis: client, queue: 'other', partitions: 8 }).partitions.stampId('01JD5Z3V9Q8W7E6R5T4Y3X2H1G', 7);
    expect(await store.get(foreign)).toBeNull();
    expect(await store.delete(foreign)).toBe(false);
    expect(await store.prepareRetry(foreign)).toBeNull();
    const name = uniqueName('jq');
    const six = new JobsStore({ redis: client, queue: name, partitions: 6 });
    expect(() => new TaskQueue({ redis: client, name, partitions: 3, hooks: six.queueHooks() })).toThrow(/hooks written for a queue of 3 partition\(s\) \(these are for 6/);
    expect(() => new TaskQueue({ redis: client, name, hooks: six.queueHooks() })).toThrow(/these are for 6/);
    expect(() => new JobsStore({ redis: client, queue: name, partitions: 0 })).toThrow(/options\.partitions: must be an integer from 1 to 1024/);
  });
});
