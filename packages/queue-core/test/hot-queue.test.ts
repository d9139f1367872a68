import { freePort, startRedisServer, uniqueName } from '@hotq/test-harness';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, QueueError, RedisUnavailableError, SerializationError, UnsafePickleError } from '../src/errors.js';
import { HotQueue, type HotQueueOptions } from '../src/hot-queue.js';
import { fromTagged, pickleVectors, pythonLoadsCheck, refusedPickles } from './fixtures/vectors.js';

const url = inject('redisUrl');
let redis: Redis;
const queues: HotQueue[] = [];

/** A queue on the run's Redis with a name no other test uses; closed after the test. */
function makeQueue(options: Omit<HotQueueOptions, 'redis' | 'url'> = {}, name = uniqueName('hq')): HotQueue {
  const queue = new HotQueue(name, { redis, ...options });
  queues.push(queue);
  return queue;
}

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

beforeAll(() => {
  redis = new Redis(url);
});

afterEach(async () => {
  await Promise.all(queues.splice(0).map((queue) => queue.close()));
});

afterAll(async () => {
  await redis.quit();
});

describe('HotQueue: the hotqueue API', () => {
  it('keeps items in the Redis list hotqueue:<name>, first in first out', async () => {
    const queue = makeQueue();
    expect(queue.key).toBe(`hotqueue:${queue.name}`);
    await queue.put('a');
    await queue.put({ b: [1, 2] });
    await queue.put(3);
    expect(await redis.llen(`hotqueue:${queue.name}`)).toBe(3);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toEqual({ b: [1, 2] });
    expect(await queue.get()).toBe(3);
    expect(await queue.get()).toBeNull();
  });

  it('puts several items with one RPUSH, in order, as Python json.dumps bytes', async () => {
    const queue = makeQueue();
    const monitorClient = new Redis(url);
    const monitor = await monitorClient.monitor(); // a connection of its own in MONITOR mode
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === queue.key || args[1] === `${queue.key}:marker`) seen.push(args);
    });
    try {
      await queue.put('one', { two: 2.5 }, ['é']);
      await redis.exists(`${queue.key}:marker`); // MONITOR shows commands in order: wait for this one
      await expect.poll(() => seen.some((args) => args[0]?.toLowerCase() === 'exists'), { timeout: 5_000 }).toBe(true);
    } finally {
      monitor.disconnect();
      monitorClient.disconnect();
    }
    const pushes = seen.filter((args) => args[0]?.toLowerCase() === 'rpush');
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toHaveLength(5); // RPUSH key item item item (MONITOR escapes the bytes: compare them below)
    expect(await redis.lrange(queue.key, 0, -1)).toEqual(['"one"', '{"two": 2.5}', '["\\u00e9"]']);
  });

  it('gives null at once for an empty queue without block', async () => {
    const queue = makeQueue();
    const started = Date.now();
    expect(await queue.get()).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('honours a fractional blocking timeout and gives null', async () => {
    const queue = makeQueue();
    const started = Date.now();
    expect(await queue.get({ block: true, timeout: 0.3 })).toBeNull();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(1_500);
  });

  it('waits for an item with block, without holding up other commands', async () => {
    const queue = makeQueue();
    const waiting = queue.get({ block: true, timeout: 5 });
    await sleep(100);
    const started = Date.now();
    expect(await queue.length()).toBe(0); // the shared connection is free during the BLPOP
    expect(Date.now() - started).toBeLessThan(500);
    await queue.put('late');
    expect(await waiting).toBe('late');
  });

  it('serves concurrent blocking gets, one connection each', async () => {
    const queue = makeQueue();
    const first = queue.get({ block: true, timeout: 5 });
    const second = queue.get({ block: true, timeout: 5 });
    await sleep(100);
    await queue.put('x', 'y');
    expect([await first, await second].sort()).toEqual(['x', 'y']);
  });

  it('length() is LLEN and clear() is DEL', async () => {
    const queue = makeQueue();
    await queue.put(1, 2, 3);
    expect(await queue.length()).toBe(3);
    await queue.clear();
    expect(await queue.length()).toBe(0);
    expect(await redis.exists(queue.key)).toBe(0);
  });
});

describe('HotQueue: consume and worker', () => {
  it('consume() ends at the first null: an empty queue without block, a poison pill, a timeout', async () => {
    const queue = makeQueue();
    await queue.put('a', 'b');
    expect(await collect(queue.consume({ block: false }))).toEqual(['a', 'b']);

    await queue.put('c', null, 'd');
    expect(await collect(queue.consume({ timeout: 1 }))).toEqual(['c']);
    expect(await queue.length()).toBe(1); // 'd' stays for the next consumer

    await queue.clear();
    const started = Date.now();
    expect(await collect(queue.consume({ timeout: 0.2 }))).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('consume() ends promptly when its signal aborts during a wait, and takes nothing after', async () => {
    const queue = makeQueue();
    const controller = new AbortController();
    const consumed = collect(queue.consume({ signal: controller.signal })); // block, no timeout
    await queue.put('first');
    await expect.poll(() => queue.length()).toBe(0);
    await sleep(200); // now waiting in BLPOP
    const abortedAt = Date.now();
    controller.abort();
    expect(await consumed).toEqual(['first']);
    expect(Date.now() - abortedAt).toBeLessThan(500);
    await queue.put('after');
    await sleep(200);
    expect(await queue.length()).toBe(1); // the interrupted BLPOP did not take it
  });

  it('consume() does not start when the signal is already aborted', async () => {
    const queue = makeQueue();
    await queue.put('kept');
    expect(await collect(queue.consume({ signal: AbortSignal.abort() }))).toEqual([]);
    expect(await queue.length()).toBe(1);
  });

  it('worker(fn) passes its own arguments first and the item last', async () => {
    const queue = makeQueue();
    const calls: unknown[][] = [];
    const work = queue.worker((prefix: string, count: number, item: unknown) => {
      calls.push([prefix, count, item]);
    });
    await queue.put('x', { y: 1 }, null);
    await work('p', 7);
    expect(calls).toEqual([
      ['p', 7, 'x'],
      ['p', 7, { y: 1 }],
    ]);
  });

  it('worker(options)(fn) consumes with those options; an error from fn ends it', async () => {
    const queue = makeQueue();
    const seen: unknown[] = [];
    const started = Date.now();
    await queue.worker({ timeout: 0.2 })(async (item: unknown) => {
      seen.push(item);
    })();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);

    await queue.put('ok', 'boom', 'never');
    const failing = queue.worker({ block: false })((item: unknown) => {
      seen.push(item);
      if (item === 'boom') throw new Error('handler failed');
    });
    await expect(failing()).rejects.toThrow('handler failed');
    expect(seen).toEqual(['ok', 'boom']);
    expect(await queue.get()).toBe('never');
  });
});

describe('HotQueue: bad arguments are typed errors and write nothing', () => {
  it.each([
    ['an empty name', ''],
    ['a name with a newline', 'a\nb'],
    ['a name that is not a string', 42],
  ])('refuses %s', (_label, name) => {
    expect(() => new HotQueue(name as string, { redis })).toThrow(InvalidArgumentError);
  });

  it.each([
    ['neither redis nor url', () => ({})],
    ['both redis and url', () => ({ redis, url })],
    ['an unknown serializer', () => ({ redis, serializer: 'yaml' })],
    ['a serializer without loads', () => ({ redis, serializer: { dumps: String } })],
    ['a zero command timeout', () => ({ redis, commandTimeoutMs: 0 })],
    ['a url that is not redis://', () => ({ url: 'http://127.0.0.1' })],
    ['something that is not a client', () => ({ redis: {} })],
  ])('refuses %s', (_label, options) => {
    expect(() => new HotQueue('q', options() as HotQueueOptions)).toThrow(InvalidArgumentError);
  });

  it('put() with no items throws InvalidArgumentError', async () => {
    const queue = makeQueue();
    await expect(queue.put()).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'items' });
  });

  it('put() with an item the serializer cannot encode writes none of them', async () => {
    const queue = makeQueue();
    await expect(queue.put('fine', undefined, 'also fine')).rejects.toThrow(SerializationError);
    await expect(queue.put('fine', new Map())).rejects.toThrow(/items\[1\] could not be encoded/);
    expect(await redis.exists(queue.key)).toBe(0);
  });

  it.each([
    ['a negative timeout', { block: true, timeout: -1 }],
    ['a timeout that is not a number', { block: true, timeout: '5' }],
    ['an infinite timeout', { block: true, timeout: Infinity }],
    ['a NaN timeout', { block: true, timeout: NaN }],
    ['a block that is not a boolean', { block: 'yes' }],
  ])('get() refuses %s', async (_label, options) => {
    const queue = makeQueue();
    await expect(queue.get(options as never)).rejects.toThrow(InvalidArgumentError);
  });

  it('consume() and worker() check their options at once', () => {
    const queue = makeQueue();
    expect(() => queue.consume({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => queue.consume({ signal: 'stop' as never })).toThrow(InvalidArgumentError);
    expect(() => queue.worker({ timeout: -1 })).toThrow(InvalidArgumentError);
    expect(() => queue.worker({})('not a function' as never)).toThrow(InvalidArgumentError);
  });
});

describe('HotQueue: serializers', () => {
  it('raw stores strings and bytes as they are and reads Buffers', async () => {
    const queue = makeQueue({ serializer: 'raw' });
    await queue.put('text é', Buffer.from([0, 255]), new Uint8Array([1, 2]));
    expect(await queue.get()).toEqual(Buffer.from('text é'));
    expect(await queue.get()).toEqual(Buffer.from([0, 255]));
    expect(await queue.get()).toEqual(Buffer.from([1, 2]));
    await expect(queue.put(5)).rejects.toThrow(SerializationError);
  });

  it('pickle round-trips through Redis', async () => {
    const queue = makeQueue({ serializer: 'pickle' });
    const value = { text: 'é', big: 2n ** 70n, list: [1, 2.5, null, true], bytes: Buffer.from('b') };
    await queue.put(value);
    expect(await queue.get()).toEqual(value);
  });

  it('takes a user serializer and wraps its errors', async () => {
    const queue = makeQueue({
      serializer: {
        dumps: (value) => `v:${String(value)}`,
        loads: (bytes) => {
          if (bytes.toString() === 'v:bad') throw new Error('cannot read');
          return bytes.toString().slice(2);
        },
      },
    });
    await queue.put('ok', 'bad');
    expect(await redis.lrange(queue.key, 0, -1)).toEqual(['v:ok', 'v:bad']);
    expect(await queue.get()).toBe('ok');
    await expect(queue.get()).rejects.toThrow(SerializationError);
  });

  it('refuses a malicious pickle in the queue with UnsafePickleError', async () => {
    const queue = makeQueue({ serializer: 'pickle' });
    const evil = refusedPickles.find((p) => p.name === 'os.system via __reduce__, protocol 4');
    await redis.rpush(queue.key, Buffer.from(evil?.hex ?? '', 'hex'));
    await expect(queue.get()).rejects.toThrow(UnsafePickleError);
    await expect(collect(queue.consume({ block: false }))).resolves.toEqual([]);
  });
});

describe('HotQueue: sharing a queue with Python hotqueue', () => {
  // python3 has no redis module here, so Python's side is its stdlib output (test/fixtures),
  // pushed and read with plain RPUSH and LRANGE, exactly what hotqueue 0.2.8 sends and reads.
  it('reads what a Python producer put with pickle, every protocol from 2 to 5', async () => {
    const queue = makeQueue({ serializer: 'pickle' });
    const vector = pickleVectors.find((v) => v.name === 'nested');
    const pickles = Object.values(vector?.pickles ?? {}).map((hex) => Buffer.from(hex, 'hex'));
    await redis.rpush(queue.key, ...pickles);
    const items = await collect(queue.consume({ block: false }));
    expect(items).toHaveLength(4);
    for (const item of items) {
      expect(item).toEqual({ list: [[1, 2], [Buffer.from('x'), Buffer.from('y')]], tuple: ['a', ['b', ['c']]] });
    }
  });

  it('treats a pickled None from Python as a poison pill', async () => {
    const queue = makeQueue({ serializer: 'pickle' });
    const none = pickleVectors.find((v) => v.name === 'None')?.pickles['4'] ?? '';
    await queue.put('before');
    await redis.rpush(queue.key, Buffer.from(none, 'hex'));
    await queue.put('after');
    expect(await collect(queue.consume())).toEqual(['before']);
  });

  it('reads what a Python producer put with json', async () => {
    const queue = makeQueue();
    await redis.rpush(queue.key, '{"a": [1, 2.5, "\\u00e9"], "n": NaN, "big": 18446744073709551616}');
    expect(await queue.get()).toEqual({ a: [1, 2.5, 'é'], n: NaN, big: 2n ** 64n });
  });

  it('writes pickles CPython loads (the bytes as Redis holds them)', async () => {
    const queue = makeQueue({ serializer: 'pickle' });
    const names = ['dict', 'str non-ascii', 'int -2**2100 (LONG4)', 'nested'];
    const vectors = names.map((name) => pickleVectors.find((v) => v.name === name));
    await queue.put(...vectors.map((vector) => fromTagged(vector?.value ?? ['none'])));
    const stored = await redis.lrangeBuffer(queue.key, 0, -1);
    const results = pythonLoadsCheck(names.map((name, i) => ({ name, hex: stored[i]?.toString('hex') ?? '' })));
    expect(results).toEqual(Object.fromEntries(names.map((name) => [name, 'ok'])));
  });
});

describe('HotQueue: connections', () => {
  it('gives RedisUnavailableError, not a hang, when Redis cannot be reached', async () => {
    const port = await freePort(); // nothing listens there
    const queue = new HotQueue(uniqueName('down'), { url: `redis://127.0.0.1:${port}/0`, commandTimeoutMs: 300 });
    try {
      const started = Date.now();
      await expect(queue.put('x')).rejects.toThrow(RedisUnavailableError);
      await expect(queue.get()).rejects.toThrow(RedisUnavailableError);
      await expect(queue.get({ block: true, timeout: 0.1 })).rejects.toThrow(RedisUnavailableError);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await queue.close();
    }
  });

  it('close() quits a connection it opened, leaves a given one open, and ends consumers', async () => {
    const given = makeQueue();
    const consuming = collect(given.consume());
    await sleep(100);
    await given.close();
    expect(await consuming).toEqual([]);
    expect(await redis.ping()).toBe('PONG');
    await expect(given.put('x')).rejects.toMatchObject({ code: 'queue_closed' });

    const owning = new HotQueue(uniqueName('own'), { url });
    await owning.put('x');
    await owning.close();
    await expect(owning.length()).rejects.toThrow(QueueError);
  });

  it('a take that gave up during an outage is not replayed, taking an item, when Redis comes back', async () => {
    const server = await startRedisServer();
    const queue = new HotQueue(uniqueName('replay'), { url: server.url, commandTimeoutMs: 300 });
    const producer = new Redis(server.url, { lazyConnect: true });
    try {
      expect(await queue.get()).toBeNull(); // connected once
      await server.stop();
      for (let i = 0; i < 3; i++) await expect(queue.get()).rejects.toThrow(RedisUnavailableError);
      await expect(queue.get({ block: true, timeout: 0.1 })).rejects.toThrow(RedisUnavailableError);
      await server.start();
      await producer.rpush(queue.key, '"a"', '"b"', '"c"', '"d"', '"e"');
      await sleep(2_500); // ioredis reconnects within about a second: any replayed pop would run by now
      expect(await producer.llen(queue.key)).toBe(5);
      expect(await queue.get()).toBe('a');
    } finally {
      producer.disconnect();
      await queue.close();
      await server.dispose();
    }
  });

  it('a consumer resumes by itself when Redis comes back', async () => {
    const server = await startRedisServer();
    const queue = new HotQueue(uniqueName('restart'), { url: server.url, commandTimeoutMs: 1_000 });
    const producer = new HotQueue(queue.name, { url: server.url, commandTimeoutMs: 1_000 });
    const controller = new AbortController();
    const seen: unknown[] = [];
    const consuming = (async () => {
      for await (const item of queue.consume({ signal: controller.signal })) seen.push(item);
    })();
    try {
      await producer.put('before');
      await expect.poll(() => seen, { timeout: 5_000 }).toEqual(['before']);
      await server.stop();
      // Longer than one BLPOP slice plus the command timeout (5 s + 1 s): the consumer's wait fails
      // for good and it has to retry on fresh connections by itself.
      await sleep(7_000);
      await server.start();
      await expect.poll(() => producer.put('after').then(() => true, () => false), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => seen, { timeout: 15_000 }).toEqual(['before', 'after']);
    } finally {
      controller.abort();
      await consuming;
      await queue.close();
      await producer.close();
      await server.dispose();
    }
  });
});
