// Priorities, rate limits and global concurrency at the TaskQueue level (docs/decisions/0015): order,
// what a limit holds back and what it lets through, what a lease that ends gives back, bad input.
// Rates over real time across worker processes are the worker package's tests.
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, TaskQueue, type ReservedMessage, type TaskQueueOptions } from '../src/index.js';

let redis: Redis;
const queues: TaskQueue[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  redis.disconnect();
});

function makeQueue(options: Partial<TaskQueueOptions<string>> = {}): TaskQueue<string> {
  const queue = new TaskQueue<string>({ redis, name: uniqueName('s'), ...options });
  queues.push(queue as TaskQueue);
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const payloads = (messages: readonly ReservedMessage<string>[]) => messages.map((m) => m.payload);

async function drain(queue: TaskQueue<string>, count = 100): Promise<string[]> {
  const { messages } = await queue.reserve({ count });
  await Promise.all(messages.map((m) => queue.ack(m)));
  return payloads(messages);
}

describe('priorities', () => {
  it('takes higher priorities first, FIFO within one, 0 an ordinary band', async () => {
    const queue = makeQueue();
    await queue.setPriorityAgeing(0);
    await queue.putMany([
      { payload: 'a0' }, { payload: 'b5', priority: 5 }, { payload: 'c-3', priority: -3 },
      { payload: 'd0', priority: 0 }, { payload: 'e5', priority: 5 }, { payload: 'f100', priority: 100 }, { payload: 'g-100', priority: -100 },
    ]);
    expect((await queue.stats()).ready).toBe(7);
    expect(await drain(queue, 3)).toEqual(['f100', 'b5', 'e5']);
    expect(await drain(queue)).toEqual(['a0', 'd0', 'c-3', 'g-100']);
  });

  it('puts jobs left in the list by the plain path in their place when priorities arrive', async () => {
    const queue = makeQueue();
    await queue.setPriorityAgeing(0);
    await queue.putMany([{ payload: 'old1' }, { payload: 'old2' }]);
    await queue.putMany([{ payload: 'new0' }, { payload: 'high', priority: 1 }]);
    expect(await drain(queue)).toEqual(['high', 'old1', 'old2', 'new0']);
    // All gone: the queue is back on the plain path.
    expect(await redis.exists(`${queue.keyBase}:groups`, `${queue.keyBase}:prio`)).toBe(0);
  });

  it('keeps the priority through retries, released and expired leases; delayed jobs enter their band when due', async () => {
    const queue = makeQueue({ leaseMs: 100 });
    await queue.setPriorityAgeing(0);
    await queue.putMany([{ payload: 'h1', priority: 10 }, { payload: 'h2', priority: 10 }, { payload: 'low', priority: -10 }]);
    const [h1] = (await queue.reserve()).messages;
    expect(h1?.payload).toBe('h1');
    // A retry goes to the back of its band, still ahead of the lower band. Scores are times in
    // milliseconds: a retry in the very millisecond of the put would tie with h2 (then the id decides).
    await sleep(2);
    expect(await queue.nack(h1!)).toBe('retry');
    await queue.put('mid', { priority: 5 });
    await queue.put('late-high', { priority: 10, delayMs: 150 });
    const [h2] = (await queue.reserve()).messages;
    expect(h2?.payload).toBe('h2');
    expect(await queue.release([h2!])).toBe(1);
    const taken = (await queue.reserve({ count: 2 })).messages;
    // Released: back where it was, before the retried one.
    expect(payloads(taken)).toEqual(['h2', 'h1']);
    // Both leases expire: they come back in their band, ahead of 'mid', with 'late-high' due by then.
    await sleep(200);
    const again = (await queue.reserve({ count: 10 })).messages;
    expect(payloads(again)).toEqual(['h2', 'h1', 'late-high', 'mid', 'low']);
    expect(again.slice(0, 2).map((m) => m.attempt)).toEqual([2, 3]);
  });

  it('ages a waiting job: its effective priority rises one level per ageing interval', async () => {
    const queue = makeQueue();
    await queue.setPriorityAgeing(10);
    expect(await queue.priorityAgeing()).toBe(10);
    await queue.put('low', { priority: -2 });
    await sleep(60);
    // 'low' has waited about 6 levels' worth: a +3 submitted now comes after it, a +10 before it.
    await queue.putMany([{ payload: 'plus3', priority: 3 }, { payload: 'plus10', priority: 10 }]);
    expect(await drain(queue)).toEqual(['plus10', 'low', 'plus3']);
  });

  it('removes a ready job from its band', async () => {
    const queue = makeQueue();
    const [a] = await queue.putMany([{ payload: 'a', priority: 2 }, { payload: 'b', priority: 2 }]);
    expect((await queue.remove(a!.id)).outcome).toBe('removed');
    expect(await drain(queue)).toEqual(['b']);
  });
});

describe('rate limits', () => {
  it('holds back what is over the limit in order, attempts untouched, and lets other scopes through', async () => {
    const queue = makeQueue();
    await queue.setLimit('type:slow', { rate: { count: 2, perMs: 400 } });
    await queue.putMany([
      ...['s1', 's2', 's3', 's4'].map((payload) => ({ payload, scopes: ['type:slow'] })),
      { payload: 'fast1', scopes: ['type:fast'] }, { payload: 'none' },
    ]);
    const first = await queue.reserve({ count: 10 });
    // Groups that became ready in the same millisecond come in either order; within one, FIFO.
    expect(payloads(first.messages).filter((p) => p.startsWith('s'))).toEqual(['s1', 's2']);
    expect(payloads(first.messages).sort()).toEqual(['fast1', 'none', 's1', 's2']);
    await Promise.all(first.messages.map((m) => queue.ack(m)));
    expect((await queue.reserve({ count: 10 })).messages).toEqual([]);
    expect((await queue.stats()).ready).toBe(2);
    const [usage] = await queue.limits();
    expect(usage).toMatchObject({ scope: 'type:slow', rate: { count: 2, perMs: 400 }, concurrency: null, recentStarts: 2 });
    // A waiting reserve sleeps until the window lets the next one start (a wake-up by an earlier put
    // may end one wait early), and then takes it: a few calls, not a spin.
    const started = Date.now();
    const later: ReservedMessage<string>[] = [];
    let calls = 0;
    while (later.length < 2 && calls < 20) {
      calls += 1;
      later.push(...(await queue.reserve({ count: 10, waitMs: 5_000 })).messages);
    }
    expect(payloads(later)).toEqual(['s3', 's4']);
    expect(calls).toBeLessThan(8);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(later.map((m) => m.attempt)).toEqual([1, 1]);
  });

  it('a queue-wide limit counts every job; removing it lets the rest go at once', async () => {
    const queue = makeQueue();
    await queue.setLimit('queue', { rate: { count: 1, perMs: 60_000 } });
    await queue.putMany(['a', 'b', 'c'].map((payload) => ({ payload })));
    expect(await drain(queue)).toEqual(['a']);
    expect(await drain(queue)).toEqual([]);
    expect(await queue.removeLimit('queue')).toBe(true);
    expect(await queue.removeLimit('queue')).toBe(false);
    expect(await drain(queue)).toEqual(['b', 'c']);
    expect(await queue.limits()).toEqual([]);
  });
});

describe('global concurrency', () => {
  it('holds at most K leases of a scope; acks, nacks, releases and expiries give slots back', async () => {
    const queue = makeQueue({ leaseMs: 150 });
    await queue.setLimit('type:render', { concurrency: 2 });
    await queue.putMany(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((payload) => ({ payload, scopes: ['type:render'] })));
    await queue.put('other', { scopes: ['type:other'] });
    const first = (await queue.reserve({ count: 10 })).messages;
    expect(payloads(first).sort()).toEqual(['other', 'r1', 'r2']);
    expect((await queue.reserve({ count: 10 })).messages).toEqual([]);
    expect((await queue.limits())[0]).toMatchObject({ scope: 'type:render', running: 2 });

    const r1 = first.find((m) => m.payload === 'r1')!;
    const r2 = first.find((m) => m.payload === 'r2')!;
    await queue.ack(r1);
    const second = (await queue.reserve({ count: 10 })).messages;
    expect(payloads(second)).toEqual(['r3']);
    expect(await queue.nack(r2, { delayMs: 60_000 })).toBe('retry');
    const third = (await queue.reserve({ count: 10 })).messages;
    expect(payloads(third)).toEqual(['r4']);
    expect(await queue.release([second[0]!])).toBe(1);
    expect(payloads((await queue.reserve({ count: 10 })).messages)).toEqual(['r3']);
    // Nobody acks: the leases expire and their slots come back with them.
    await sleep(250);
    const after = (await queue.reserve({ count: 10 })).messages;
    expect(payloads(after).sort()).toEqual(['other', 'r3', 'r4']);
    expect((await queue.limits())[0]).toMatchObject({ running: 2 });
  });
});

describe('bad input', () => {
  it('refuses out-of-range priorities, bad scopes and limits, naming the field, and writes nothing', async () => {
    const queue = makeQueue();
    await queue.put('seed');
    const before = await redis.keys(`${queue.keyBase.replace(/[{}]/g, '\\$&')}*`);
    const refusals: Array<[() => Promise<unknown>, string]> = [
      [() => queue.put('x', { priority: 101 }), 'options.priority'],
      [() => queue.put('x', { priority: 1.5 }), 'options.priority'],
      [() => queue.putMany([{ payload: 'ok' }, { payload: 'x', priority: -101 }]), 'messages[1].priority'],
      [() => queue.put('x', { scopes: ['type:has space'] }), 'options.scopes[0]'],
      [() => queue.put('x', { scopes: ['queue'] }), 'options.scopes[0]'],
      [() => queue.put('x', { scopes: 'type:a' as unknown as string[] }), 'options.scopes'],
      [() => queue.setLimit('type:', { concurrency: 1 }), 'scope'],
      [() => queue.setLimit('Type:x', { concurrency: 1 }), 'scope'],
      [() => queue.setLimit('type:x', {}), 'limit'],
      [() => queue.setLimit('type:x', { concurrency: 0 }), 'limit.concurrency'],
      [() => queue.setLimit('type:x', { rate: { count: -1, perMs: 1000 } }), 'limit.rate.count'],
      [() => queue.setLimit('type:x', { rate: { count: 5, perMs: 0 } }), 'limit.rate.perMs'],
      [() => queue.setLimit('type:x', { rate: { count: 5, perMs: 1000 }, burst: 3 } as never), 'limit.burst'],
      [() => queue.removeLimit('tag:a b'), 'scope'],
      [() => queue.setPriorityAgeing(-1), 'msPerLevel'],
    ];
    for (const [call, argument] of refusals) {
      const error = await call().then(() => null, (e: unknown) => e);
      expect(error, argument).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
    }
    expect(await redis.keys(`${queue.keyBase.replace(/[{}]/g, '\\$&')}*`)).toEqual(before);
  });
});

describe('ageing under a flood of high priorities', () => {
  // A consumer takes one job at a time while a producer keeps 20 jobs of priority 100 ready: with an
  // ageing of 5 ms per level a job of priority -100 starts within 200 levels * 5 ms = 1 s of waiting
  // (plus the jobs already ahead of it then); with strict priorities it does not start at all.
  async function lowStartsAfter(ageing: number, giveUpMs: number): Promise<number | null> {
    const queue = makeQueue();
    await queue.setPriorityAgeing(ageing);
    const flood = async (n: number) => queue.putMany(Array.from({ length: n }, () => ({ payload: 'high', priority: 100 })));
    await flood(20);
    const [low] = await queue.putMany([{ payload: 'low', priority: -100 }]);
    const submitted = Date.now();
    while (Date.now() - submitted < giveUpMs) {
      const { messages } = await queue.reserve();
      const [message] = messages;
      if (message) {
        if (message.id === low!.id) return Date.now() - submitted;
        await queue.ack(message);
        // One new high job for each one taken: always 20 ahead.
        await flood(1);
        await sleep(1);
      }
    }
    return null;
  }

  it('starts a low job within the documented bound; strict priorities starve it', async () => {
    const waited = await lowStartsAfter(5, 5_000);
    expect(waited).not.toBeNull();
    expect(waited!).toBeGreaterThanOrEqual(900);
    expect(waited!).toBeLessThan(2_000);
    expect(await lowStartsAfter(0, 1_500)).toBeNull();
  }, 15_000);
});
