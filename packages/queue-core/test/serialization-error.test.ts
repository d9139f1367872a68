// An item a HotQueue cannot decode has already left Redis (at most once): the error must say why
// in terms a user can act on, and hand over the bytes so the caller can keep them.
import { uniqueName } from '@hotq/test-harness';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SerializationError, UnsafePickleError } from '../src/errors.js';
import { HotQueue, type HotQueueOptions } from '../src/hot-queue.js';
import { refusedPickles } from './fixtures/vectors.js';

const url = inject('redisUrl');
let redis: Redis;
const queues: HotQueue[] = [];

// pickle.dumps({'id': 1, 'text': 'to be or not to be'}) by CPython 3.11: what Python's hotqueue
// puts by default (protocol 4).
const PICKLED = Buffer.from('80049528000000000000007d94288c026964944b018c0474657874948c12746f206265206f72206e6f7420746f20626594752e', 'hex');
// json.dumps of the same dict: what hotqueue puts with serializer=json.
const JSONED = Buffer.from('{"id": 1, "text": "to be or not to be"}');

function makeQueue(options: Omit<HotQueueOptions, 'redis' | 'url'> = {}): HotQueue {
  const queue = new HotQueue(uniqueName('se'), { redis, ...options });
  queues.push(queue);
  return queue;
}

/** The error `get()` rejects with, after pushing `bytes` as a producer would. */
async function failedGet(queue: HotQueue, bytes: Buffer): Promise<SerializationError> {
  await redis.rpush(queue.key, bytes);
  const error = await queue.get().then(() => undefined, (reason: unknown) => reason);
  expect(error).toBeInstanceOf(SerializationError);
  return error as SerializationError;
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

describe('HotQueue: an item it cannot decode', () => {
  it('a pickle read as JSON: names the pickle as the likely cause, and carries the bytes', async () => {
    const queue = makeQueue(); // json, the default
    const error = await failedGet(queue, PICKLED);
    expect(error.code).toBe('serialization_failed');
    expect(error.message).toMatch(/^json: the bytes are not valid UTF-8\. The bytes look like a Python pickle \(protocol 4\)/);
    expect(error.message).toMatch(/read this queue with serializer 'pickle', or give the producer serializer=json/);
    expect(error.message).toMatch(/The item has left the queue; the error's `bytes` hold it \(51 bytes\)/);
    expect(error.bytes?.equals(PICKLED)).toBe(true);
    expect(await queue.length()).toBe(0); // at most once: it is gone from Redis
  });

  it('JSON read as a pickle: names JSON as the likely cause', async () => {
    const error = await failedGet(makeQueue({ serializer: 'pickle' }), JSONED);
    expect(error.message).toMatch(/^pickle: .*\. The bytes look like JSON \(a producer with serializer=json\): read this queue with serializer 'json'\./);
    expect(error.bytes?.equals(JSONED)).toBe(true);
  });

  it('damaged bytes of the format the queue reads: no guess, the bytes all the same', async () => {
    const damaged = Buffer.from('{"id": 1, "text": ');
    const error = await failedGet(makeQueue(), damaged);
    expect(error.message).not.toMatch(/look like/);
    expect(error.bytes?.equals(damaged)).toBe(true);
  });

  it("a user serializer's error: wrapped, with a guess and the bytes", async () => {
    const queue = makeQueue({
      serializer: {
        dumps: (value) => String(value),
        loads: () => {
          throw new Error('not mine.');
        },
      },
    });
    const error = await failedGet(queue, JSONED);
    expect(error.message).toMatch(/^an item could not be decoded: not mine\. The bytes look like JSON/);
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.bytes?.equals(JSONED)).toBe(true);
  });

  it('an unsafe pickle stays an UnsafePickleError, and carries its bytes for quarantine', async () => {
    const evil = Buffer.from(refusedPickles.find((p) => p.expect === 'unsafe')?.hex ?? '', 'hex');
    const error = await failedGet(makeQueue({ serializer: 'pickle' }), evil);
    expect(error).toBeInstanceOf(UnsafePickleError);
    expect(error.code).toBe('unsafe_pickle');
    expect(error.bytes?.equals(evil)).toBe(true);
  });

  it('consume() throws the same error, ending the iteration', async () => {
    const queue = makeQueue();
    await redis.rpush(queue.key, PICKLED, JSONED);
    const taken: unknown[] = [];
    const ending = (async () => {
      for await (const item of queue.consume({ block: false })) taken.push(item);
    })();
    await expect(ending).rejects.toThrow(/look like a Python pickle/);
    expect(taken).toEqual([]);
    expect(await queue.length()).toBe(1); // the JSON item behind it is still there
  });

  it('a value that cannot be encoded: no bytes (nothing was written)', async () => {
    const queue = makeQueue();
    const error = await queue.put(() => 1).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).bytes).toBeUndefined();
  });
});
