import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { TaskQueue, type TaskQueueOptions } from '../src/index.js';

// A put (or a retry, or a release) that meets a consumer blocked waiting for work leases the message
// to it in the same script and pushes it to the consumer's inbox: the consumer's blocking read
// returns it, with no second call.

let redis: Redis;
const clients: Redis[] = [];
const queues: TaskQueue[] = [];

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'));
  // The library is loaded once per server (its first call loads it); the counts below are of calls
  // made after that.
  await new TaskQueue({ redis, name: uniqueName('warm-up') }).put('x');
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  for (const client of clients) client.disconnect();
  redis.disconnect();
});

/** A queue on a connection of its own (named, so that its calls can be counted or watched). */
function queueOnOwnClient<T = unknown>(name: string, options: Partial<TaskQueueOptions<T>> = {}): { queue: TaskQueue<T>; client: Redis } {
  const client = new Redis(inject('redisUrl'), { connectionName: uniqueName('consumer') });
  clients.push(client);
  const queue = new TaskQueue<T>({ redis: client, name, ...options });
  queues.push(queue as TaskQueue);
  return { queue, client };
}

function producerFor<T = unknown>(name: string, options: Partial<TaskQueueOptions<T>> = {}): TaskQueue<T> {
  const queue = new TaskQueue<T>({ redis, name, ...options });
  queues.push(queue as TaskQueue);
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the consumer on `client` die while it waits: once its blocking read is under way, both its
 * connections close without a word to Redis, as when its process is killed.
 */
async function dieWhileWaiting(client: Redis, queue: TaskQueue, waiting: Promise<unknown>): Promise<void> {
  const name = client.options.connectionName as string;
  for (let tries = 0; ; tries += 1) {
    const clients = (await redis.client('LIST')) as string;
    if (clients.split('\n').some((line) => line.includes(`name=${name} `) && line.includes('cmd=blpop'))) break;
    if (tries > 200) throw new Error('the consumer never started waiting');
    await sleep(5);
  }
  client.disconnect();
  await queue.close();
  await waiting.catch(() => {});
}

/** Counts the script calls (FCALL, or EVALSHA where Functions are missing) `client` sends from now on. */
function scriptCalls(client: Redis): () => number {
  // Every command reaches the client's sendCommand, however it was made.
  const send = vi.spyOn(client, 'sendCommand');
  return () => send.mock.calls.filter(([command]) => /^(fcall|evalsha)$/i.test(command.name)).length;
}

/** Waits until `n` consumers are registered as waiting on the queue. */
async function waitersRegistered(queue: TaskQueue, n: number): Promise<void> {
  for (let tries = 0; tries < 200; tries += 1) {
    if ((await redis.zcard(`${queue.keyBase}:waiters`)) === n) return;
    await sleep(5);
  }
  throw new Error(`expected ${n} waiting consumers`);
}

describe('TaskQueue hand-off to waiting consumers', () => {
  it('leases a message put on an idle queue to the waiting consumer, with no second reserve call', async () => {
    const name = uniqueName('q');
    const { queue: consumer, client } = queueOnOwnClient<{ text: string }>(name);
    const producer = producerFor<{ text: string }>(name);
    const calls = scriptCalls(client);

    const waiting = consumer.reserve({ waitMs: 5_000, consumer: 'worker:1' });
    await waitersRegistered(producer as TaskQueue, 1);
    // Multi-byte characters and the framing's own separator, to check the lengths count bytes.
    await producer.put({ text: 'ünïcødé: 日本 1:2' }, { id: 'm1' });
    // Leased by the put itself: nothing is left ready for the consumer to fetch.
    expect(await producer.stats()).toMatchObject({ ready: 0, leased: 1 });

    const { messages } = await waiting;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: 'm1', payload: { text: 'ünïcødé: 日本 1:2' }, attempt: 1, maxAttempts: expect.any(Number) });
    expect(calls()).toBe(1); // the call that found nothing and registered
    expect(await consumer.ack(messages[0]!)).toBe(true);
    expect(await producer.stats()).toMatchObject({ ready: 0, leased: 0, totals: { put: 1, acked: 1 } });
    expect(await redis.zcard(`${producer.keyBase}:waiters`)).toBe(0);
    expect(await redis.exists(`${producer.keyBase}:inbox:${messages[0]!.token.split(':')[0]}`)).toBe(0);
  });

  it('hands over up to the count asked for, oldest first, and leaves the rest ready', async () => {
    const name = uniqueName('q');
    const { queue: consumer } = queueOnOwnClient<number>(name);
    const producer = producerFor<number>(name);
    const waiting = consumer.reserve({ waitMs: 5_000, count: 3 });
    await waitersRegistered(producer as TaskQueue, 1);
    await producer.putMany([1, 2, 3, 4, 5].map((payload) => ({ payload })));
    expect((await waiting).messages.map((m) => m.payload)).toEqual([1, 2, 3]);
    expect((await producer.reserve({ count: 5 })).messages.map((m) => m.payload)).toEqual([4, 5]);
  });

  it('gives each waiting consumer its own messages, never one message to two', async () => {
    const name = uniqueName('q');
    const producer = producerFor<number>(name);
    const consumers = [1, 2, 3].map(() => queueOnOwnClient<number>(name).queue);
    const waiting = consumers.map((queue) => queue.reserve({ waitMs: 5_000, count: 2 }));
    await waitersRegistered(producer as TaskQueue, 3);
    await producer.putMany([1, 2, 3, 4, 5].map((payload) => ({ payload })));
    const received = (await Promise.all(waiting)).map(({ messages }) => messages.map((m) => m.payload));
    expect(received.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(received.map((payloads) => payloads.length).sort()).toEqual([1, 2, 2]);
    expect(await producer.stats()).toMatchObject({ ready: 0, leased: 5 });
  });

  it('hands nothing over while the queue is paused', async () => {
    const name = uniqueName('q');
    const { queue: consumer } = queueOnOwnClient<string>(name);
    const producer = producerFor<string>(name);
    const waiting = consumer.reserve({ waitMs: 300 });
    await waitersRegistered(producer as TaskQueue, 1);
    await producer.pause();
    await producer.put('held back');
    expect((await waiting).messages).toEqual([]);
    expect(await producer.stats()).toMatchObject({ ready: 1, leased: 0 });
    await producer.resume();
    expect((await consumer.reserve()).messages.map((m) => m.payload)).toEqual(['held back']);
  });

  it('does not hand a delayed message over before its time', async () => {
    const name = uniqueName('q');
    const { queue: consumer } = queueOnOwnClient<string>(name);
    const producer = producerFor<string>(name);
    const started = Date.now();
    const waiting = consumer.reserve({ waitMs: 5_000 });
    await waitersRegistered(producer as TaskQueue, 1);
    await producer.put('later', { delayMs: 200 });
    expect(await producer.stats()).toMatchObject({ delayed: 1, leased: 0 });
    expect((await waiting).messages.map((m) => m.payload)).toEqual(['later']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('brings back what was handed to a consumer that died while waiting, when the lease ends', async () => {
    const name = uniqueName('q');
    const { queue: doomed, client } = queueOnOwnClient<string>(name, { leaseMs: 200 });
    const producer = producerFor<string>(name);
    await dieWhileWaiting(client, doomed as TaskQueue, doomed.reserve({ waitMs: 5_000 }));
    expect(await redis.zcard(`${producer.keyBase}:waiters`)).toBe(1);
    await producer.put('orphan', { id: 'o1' });
    expect(await producer.stats()).toMatchObject({ ready: 0, leased: 1 });
    await sleep(250);
    const [again] = (await producer.reserve()).messages;
    expect(again).toMatchObject({ id: 'o1', payload: 'orphan', attempt: 2 });
  });

  it('skips a waiting consumer whose wait has ended, and forgets it', async () => {
    const name = uniqueName('q');
    const { queue: doomed, client } = queueOnOwnClient<string>(name);
    const producer = producerFor<string>(name);
    await dieWhileWaiting(client, doomed as TaskQueue, doomed.reserve({ waitMs: 100 }));
    expect(await redis.zcard(`${producer.keyBase}:waiters`)).toBe(1);
    await sleep(150);
    await producer.put('for the living');
    expect(await producer.stats()).toMatchObject({ ready: 1, leased: 0 });
    expect(await redis.zcard(`${producer.keyBase}:waiters`)).toBe(0);
  });

  it('puts back, attempt not counted, what is handed over while the consumer gives up', async () => {
    // The abort and the put race; whichever wins, the message must end up ready again, untouched.
    for (let round = 0; round < 5; round += 1) {
      const name = uniqueName('q');
      const producer = producerFor<number>(name);
      const { queue: consumer } = queueOnOwnClient<number>(name);
      const controller = new AbortController();
      const waiting = consumer.reserve({ waitMs: 5_000, signal: controller.signal });
      await waitersRegistered(producer as TaskQueue, 1);
      const put = producer.put(round);
      controller.abort();
      await put;
      expect((await waiting).messages).toEqual([]);
      expect(await producer.stats()).toMatchObject({ ready: 1, leased: 0 });
      const [message] = (await producer.reserve()).messages;
      expect(message).toMatchObject({ payload: round, attempt: 1 });
      await producer.ack(message!);
      expect(await redis.zcard(`${producer.keyBase}:waiters`)).toBe(0);
    }
  });

  it('hands over a retry without delay and a released message the same way', async () => {
    const name = uniqueName('q');
    const producer = producerFor<string>(name);
    const { queue: first } = queueOnOwnClient<string>(name);
    const { queue: second, client } = queueOnOwnClient<string>(name);
    const calls = scriptCalls(client);
    await producer.put('bounced', { id: 'b1' });
    const [taken] = (await first.reserve()).messages;
    // The put found nobody waiting and left a wake-up token, which would end the next wait at once.
    await redis.del(`${producer.keyBase}:wake`);

    const waiting = second.reserve({ waitMs: 5_000 });
    await waitersRegistered(producer as TaskQueue, 1);
    expect(await first.nack(taken!)).toBe('retry');
    const [retried] = (await waiting).messages;
    expect(retried).toMatchObject({ id: 'b1', attempt: 2 });
    expect(calls()).toBe(1);

    const waitingAgain = first.reserve({ waitMs: 5_000 });
    await waitersRegistered(producer as TaskQueue, 1);
    expect(await second.release([retried!])).toBe(1);
    // Released, the attempt is given back; handed over, the next one starts.
    expect((await waitingAgain).messages[0]).toMatchObject({ id: 'b1', attempt: 2 });
    expect(await producer.stats()).toMatchObject({ ready: 0, leased: 1, totals: { retried: 1, released: 1 } });
  });

  it('accepts any consumer name, newlines included', async () => {
    const name = uniqueName('q');
    const { queue: consumer } = queueOnOwnClient<string>(name);
    const producer = producerFor<string>(name);
    const waiting = consumer.reserve({ waitMs: 5_000, consumer: 'host\n42\n7:x' });
    await waitersRegistered(producer as TaskQueue, 1);
    await producer.put('hello');
    const [message] = (await waiting).messages;
    expect(message?.payload).toBe('hello');
    expect(await redis.hget(`${producer.keyBase}:job:${message!.id}`, 'C')).toBe('host\n42\n7:x');
  });
});
