import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, TaskQueue, type TaskQueueOptions } from '../src/index.js';

let redis: Redis;
const queues: TaskQueue[] = [];

beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all(queues.map((queue) => queue.close()));
  redis.disconnect();
});

function makeQueue<T = unknown>(options: Partial<TaskQueueOptions<T>> = {}): TaskQueue<T> {
  const queue = new TaskQueue<T>({ redis, name: uniqueName('q'), ...options });
  queues.push(queue as TaskQueue);
  return queue;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TaskQueue delivery', () => {
  it('hands each message to one consumer at a time, in order', async () => {
    const queue = makeQueue<{ n: number }>();
    await queue.putMany([1, 2, 3].map((n) => ({ payload: { n } })));
    const first = await queue.reserve({ count: 2, consumer: 'a' });
    const second = await queue.reserve({ count: 5, consumer: 'b' });
    expect(first.messages.map((m) => m.payload.n)).toEqual([1, 2]);
    expect(second.messages.map((m) => m.payload.n)).toEqual([3]);
    expect(first.messages[0]?.attempt).toBe(1);
    expect((await queue.reserve()).messages).toEqual([]);
  });

  it('acks with the right token and refuses a stale one', async () => {
    const queue = makeQueue();
    await queue.put('job');
    const [message] = (await queue.reserve()).messages;
    expect(await queue.ack({ id: message!.id, token: 'wrong' })).toBe(false);
    expect(await queue.ack(message!)).toBe(true);
    expect(await queue.ack(message!)).toBe(false);
    const stats = await queue.stats();
    expect(stats).toMatchObject({ ready: 0, leased: 0, dead: 0, totals: { put: 1, acked: 1 } });
  });

  it('brings an expired lease back with its attempt raised, and fences the late consumer', async () => {
    const queue = makeQueue({ leaseMs: 50 });
    await queue.put('slow');
    const [late] = (await queue.reserve()).messages;
    await sleep(80);
    const [again] = (await queue.reserve()).messages;
    expect(again?.id).toBe(late?.id);
    expect(again?.attempt).toBe(2);
    // The consumer that was presumed dead wakes up: its completion is refused.
    expect(await queue.ack(late!)).toBe(false);
    expect(await queue.nack(late!)).toBe('stale');
    expect(await queue.ack(again!)).toBe(true);
    expect((await queue.stats()).totals).toMatchObject({ expired: 1, acked: 1 });
  });

  it('dead-letters after the last attempt, with the reason', async () => {
    const queue = makeQueue({ maxAttempts: 2 });
    await queue.put('doomed', { id: 'doomed-1' });
    const one = (await queue.reserve()).messages[0]!;
    expect(await queue.nack(one, { reason: 'boom 1' })).toBe('retry');
    const two = (await queue.reserve()).messages[0]!;
    expect(two.attempt).toBe(2);
    expect(await queue.nack(two, { reason: 'boom 2' })).toBe('dead');
    const [letter] = await queue.deadLetters();
    expect(letter).toMatchObject({ id: 'doomed-1', payload: 'doomed', attempts: 2, reason: 'boom 2' });
    expect((await queue.reserve()).messages).toEqual([]);
  });

  it('dead-letters an expired lease on its last attempt', async () => {
    const queue = makeQueue({ leaseMs: 30, maxAttempts: 1 });
    await queue.put('x');
    await queue.reserve();
    await sleep(60);
    expect((await queue.reserve()).messages).toEqual([]);
    const [letter] = await queue.deadLetters();
    expect(letter?.reason).toMatch(/lease expired/);
  });

  it('nack with dead: true dead-letters at once; a retry waits for its delay', async () => {
    const queue = makeQueue();
    await queue.putMany([{ payload: 'a', id: 'a' }, { payload: 'b', id: 'b' }]);
    const [a, b] = (await queue.reserve({ count: 2 })).messages;
    expect(await queue.nack(a!, { dead: true, reason: 'bad input' })).toBe('dead');
    expect(await queue.nack(b!, { delayMs: 150 })).toBe('retry');
    expect((await queue.stats()).delayed).toBe(1);
    expect((await queue.reserve()).messages).toEqual([]);
    await sleep(170);
    const [retried] = (await queue.reserve()).messages;
    expect(retried).toMatchObject({ id: 'b', attempt: 2 });
  });

  it('delivers delayed messages no sooner than their delay', async () => {
    const queue = makeQueue();
    const put = await queue.put('later', { delayMs: 120 });
    expect(put.outcome).toBe('delayed');
    expect((await queue.reserve()).messages).toEqual([]);
    await sleep(140);
    expect((await queue.reserve()).messages[0]?.payload).toBe('later');
  });

  it('extends leases in one call and reports lost ones', async () => {
    const queue = makeQueue({ leaseMs: 60 });
    await queue.putMany([{ payload: 1 }, { payload: 2 }]);
    const [one, two] = (await queue.reserve({ count: 2 })).messages;
    for (let i = 0; i < 4; i++) {
      await sleep(30);
      const results = await queue.extend([one!, { id: two!.id, token: 'stale' }]);
      expect(results.map((r) => r.held)).toEqual([true, false]);
    }
    // one stayed leased across 120 ms of a 60 ms lease; two expired and comes back.
    const again = (await queue.reserve({ count: 2 })).messages;
    expect(again.map((m) => m.id)).toEqual([two!.id]);
    expect(await queue.ack(one!)).toBe(true);
  });

  it('releases leases without counting the attempt', async () => {
    const queue = makeQueue();
    await queue.put('x');
    const [first] = (await queue.reserve()).messages;
    expect(await queue.release([first!, { id: first!.id, token: 'stale' }])).toBe(1);
    const [again] = (await queue.reserve()).messages;
    expect(again?.attempt).toBe(1);
  });

  it('completes one message and takes the next in the same call', async () => {
    const queue = makeQueue<number>();
    await queue.putMany([{ payload: 1 }, { payload: 2 }]);
    const [first] = (await queue.reserve()).messages;
    const next = await queue.reserve({ acks: [{ lease: first! }, { lease: { id: first!.id, token: 'stale' } }] });
    expect(next.acked).toEqual([true, false]);
    expect(next.messages.map((m) => m.payload)).toEqual([2]);
  });

  it('puts the same id once, even when the put is sent again', async () => {
    const queue = makeQueue();
    expect((await queue.put('a', { id: 'same' })).outcome).toBe('queued');
    expect((await queue.put('b', { id: 'same' })).outcome).toBe('exists');
    expect((await queue.stats()).ready).toBe(1);
  });

  it('pauses and resumes consumers', async () => {
    const queue = makeQueue();
    await queue.put('x');
    await queue.pause();
    expect((await queue.reserve()).messages).toEqual([]);
    expect((await queue.stats()).paused).toBe(true);
    await queue.resume();
    expect((await queue.reserve()).messages).toHaveLength(1);
  });

  it('removes ready and delayed messages, and flags leased ones for their consumer', async () => {
    const queue = makeQueue();
    await queue.putMany([{ payload: 1, id: 'r1' }, { payload: 2, id: 'd1', delayMs: 10_000 }, { payload: 3, id: 'l1' }]);
    expect(await queue.remove('r1')).toEqual({ outcome: 'removed' });
    expect(await queue.remove('d1')).toEqual({ outcome: 'removed' });
    const [leased] = (await queue.reserve()).messages;
    expect(leased?.id).toBe('l1');
    expect(await queue.remove('l1')).toEqual({ outcome: 'cancel-requested' });
    expect(await queue.extend([leased!])).toEqual([{ id: 'l1', held: true, cancelRequested: true }]);
    expect(await queue.remove('nope')).toEqual({ outcome: 'missing' });
    expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, leased: 1 });
  });

  it('waits for work when asked, and wakes as soon as a message arrives', async () => {
    const queue = makeQueue();
    const started = Date.now();
    const waiting = queue.reserve({ waitMs: 5_000 });
    await sleep(50);
    await queue.put('wake up');
    const { messages } = await waiting;
    expect(messages[0]?.payload).toBe('wake up');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('stops waiting when the signal aborts', async () => {
    const queue = makeQueue();
    const controller = new AbortController();
    const waiting = queue.reserve({ waitMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await waiting).messages).toEqual([]);
  });

  it('dead-letters a message that cannot be decoded instead of looping on it', async () => {
    const queue = makeQueue({ name: uniqueName('q') });
    await queue.put('fine', { id: 'm1' });
    // Corrupt the stored payload the way a foreign producer might.
    await redis.hset(`${queue.keyBase}:job:m1`, 'P', '{not json');
    expect((await queue.reserve()).messages).toEqual([]);
    const [letter] = await queue.deadLetters();
    expect(letter?.id).toBe('m1');
    expect(letter?.reason).toMatch(/could not be decoded/);
  });

  it('keeps every key of a queue in one hash tag', async () => {
    const queue = makeQueue({ prefix: 'tagged' });
    await queue.put('x', { delayMs: 10_000 });
    await queue.put('y');
    await queue.reserve();
    const keys = await redis.keys(`*${queue.name}*`);
    expect(keys.length).toBeGreaterThan(2);
    for (const key of keys) expect(key.startsWith(`{tagged:${queue.name}}:`)).toBe(true);
  });
});

describe('TaskQueue hooks', () => {
  // A small hook table that keeps a record hash in step with the queue, as jobs-store does.
  const hooks = (base: string) => `
    local base = ${JSON.stringify(base)}
    local H = {}
    function H.put(id, ctx)
      if ctx.vars.key and redis.call('EXISTS', base .. ':idem:' .. ctx.vars.key) == 1 then
        return redis.call('GET', base .. ':idem:' .. ctx.vars.key)
      end
      if ctx.vars.key then redis.call('SET', base .. ':idem:' .. ctx.vars.key, id) end
      redis.call('HSET', base .. ':rec:' .. id, 'status', 'queued')
    end
    function H.reserve(id, ctx) redis.call('HSET', base .. ':rec:' .. id, 'status', 'running', 'attempt', ctx.attempt, 'by', ctx.consumer) end
    function H.ack(id, ctx) redis.call('HSET', base .. ':rec:' .. id, 'status', 'done', 'result', ctx.vars.result) end
    function H.cancel(id, ctx) redis.call('HSET', base .. ':rec:' .. id, 'status', 'cancelled') end
    function H.retry(id, ctx) redis.call('HSET', base .. ':rec:' .. id, 'status', 'delayed', 'due', ctx.dueAt - ctx.now) end
    function H.dead(id, ctx) redis.call('HSET', base .. ':rec:' .. id, 'status', 'failed', 'reason', ctx.reason) end
    return H`;

  it('runs the hooks in the same script as the queue step, and lets put refuse', async () => {
    const name = uniqueName('hq');
    const base = `{hotq:${name}}`;
    const queue = makeQueue({ name, hooks: hooks(base) });
    const record = (id: string) => redis.hgetall(`${base}:rec:${id}`);
    expect((await queue.put('p', { id: 'j1', vars: { key: 'k1' } })).outcome).toBe('queued');
    expect(await queue.put('p', { id: 'j2', vars: { key: 'k1' } })).toEqual({ id: 'j2', outcome: 'refused', refusal: 'j1' });
    expect(await record('j1')).toEqual({ status: 'queued' });
    expect(await record('j2')).toEqual({});

    const [message] = (await queue.reserve({ consumer: 'w1' })).messages;
    expect(await record('j1')).toEqual({ status: 'running', attempt: '1', by: 'w1' });
    expect(await queue.ack({ id: 'j1', token: 'stale' }, { vars: { result: 'nope' } })).toBe(false);
    expect((await record('j1')).status).toBe('running');
    expect(await queue.ack(message!, { vars: { result: '42' } })).toBe(true);
    expect(await record('j1')).toMatchObject({ status: 'done', result: '42' });
  });

  it('routes an ack to another hook by name, and calls retry and dead', async () => {
    const name = uniqueName('hq');
    const base = `{hotq:${name}}`;
    const queue = makeQueue({ name, hooks: hooks(base), maxAttempts: 2 });
    await queue.putMany([{ payload: 1, id: 'c' }, { payload: 2, id: 'f' }]);
    const [c, f] = (await queue.reserve({ count: 2 })).messages;
    expect(await queue.ack(c!, { hook: 'cancel' })).toBe(true);
    expect((await redis.hgetall(`${base}:rec:c`)).status).toBe('cancelled');
    expect(await queue.nack(f!, { delayMs: 1_000, reason: 'x' })).toBe('retry');
    expect(await redis.hgetall(`${base}:rec:f`)).toMatchObject({ status: 'delayed', due: '1000' });
  });

  it('reports a failing hook as a typed error', async () => {
    const queue = makeQueue({ hooks: 'return { put = function() error("hook exploded") end }' });
    await expect(queue.put('x')).rejects.toMatchObject({ code: 'script_failed', message: expect.stringMatching(/hook exploded/) });
  });

  it('survives a flushed script cache', async () => {
    const queue = makeQueue();
    await queue.put('before');
    await redis.script('FLUSH');
    await queue.put('after');
    expect((await queue.stats()).ready).toBe(2);
  });
});

describe('TaskQueue bad input', () => {
  it('refuses bad names, ids, numbers and payloads with the argument named, writing nothing', async () => {
    expect(() => new TaskQueue({ redis, name: '' })).toThrow(/options.name must be/);
    expect(() => new TaskQueue({ redis, name: 'a{b}' })).toThrow(InvalidArgumentError);
    expect(() => new TaskQueue({ redis, name: 'ok', leaseMs: -1 })).toThrow(/options.leaseMs must be an integer/);
    const queue = makeQueue();
    await expect(queue.put('x', { id: 'has:colon' })).rejects.toThrow(/options.id must be/);
    await expect(queue.put('x', { delayMs: Number.NaN })).rejects.toThrow(/options.delayMs/);
    await expect(queue.putMany([])).rejects.toThrow(/messages must be a non-empty array/);
    await expect(queue.putMany([{ payload: 1 }, { payload: 2, maxAttempts: 0 }])).rejects.toThrow(/messages\[1\].maxAttempts/);
    await expect(queue.put(10n as unknown)).rejects.toThrow(/payload must be a value the codec can encode/);
    await expect(queue.reserve({ count: -1 })).rejects.toThrow(/options.count/);
    await expect(queue.ack({ id: 'x', token: '' })).rejects.toThrow(/lease must be a lease/);
    await expect(queue.remove('../etc')).rejects.toThrow(/id must be/);
    expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, totals: { put: 0 } });
  });
});

describe('TaskQueue cancellation of a leased message', () => {
  it('ends it through the cancel hook when it is nacked or released after the stop was asked', async () => {
    const name = uniqueName('cq');
    const base = `{hotq:${name}}`;
    const hooks = `local H = {}
      function H.cancel(id, ctx) redis.call('SET', ${JSON.stringify(base)} .. ':ended:' .. id, ctx.reason) end
      return H`;
    const queue = makeQueue({ name, hooks });
    await queue.putMany([{ payload: 1, id: 'n' }, { payload: 2, id: 'r' }]);
    const [n, r] = (await queue.reserve({ count: 2 })).messages;
    expect(await queue.remove('n')).toEqual({ outcome: 'cancel-requested' });
    expect(await queue.remove('r')).toEqual({ outcome: 'cancel-requested' });
    expect(await queue.nack(n!, { delayMs: 0 })).toBe('cancelled');
    expect(await queue.release([r!])).toBe(0);
    expect(await redis.get(`${base}:ended:n`)).toBe('cancelled while running');
    expect(await redis.get(`${base}:ended:r`)).toBe('cancelled before it finished');
    expect(await queue.stats()).toMatchObject({ ready: 0, delayed: 0, leased: 0, dead: 0 });
  });
});
