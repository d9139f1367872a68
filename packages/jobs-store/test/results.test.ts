import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError, JobStateError } from '../src/index.js';
import { connect, Fixture } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

async function finishWith(f: Fixture, result: unknown): Promise<string> {
  const { id } = await f.submit();
  await f.succeed(id, await f.start(id), result);
  return id;
}

describe('results', () => {
  it('stores JSON values apart from the record', async () => {
    const f = new Fixture(redis);
    for (const value of [{ words: 3, top: [['a', 2]] }, [1, 'two', null], 'text', 0, false, null, { nested: { é: '✓' } }]) {
      const id = await finishWith(f, value);
      expect(await f.store.getResult(id)).toEqual({ kind: 'json', value });
      expect(await redis.hexists(`${f.store.keyBase}:job:${id}`, 'result')).toBe(0);
    }
    const { id } = await f.submit();
    await f.hooks.call('ack', id, { token: await f.start(id), attempt: 1, vars: f.store.completion(undefined).vars });
    expect(await f.store.getResult(id)).toEqual({ kind: 'json', value: null });
    const dated = await finishWith(f, { at: new Date(0) });
    expect(await f.store.getResult(dated)).toEqual({ kind: 'json', value: { at: '1970-01-01T00:00:00.000Z' } });
  });

  it('stores bytes with their content type (bare bytes are application/octet-stream)', async () => {
    const f = new Fixture(redis);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const id = await finishWith(f, { contentType: 'image/png', data: png });
    expect(await f.store.getResult(id)).toEqual({ kind: 'bytes', contentType: 'image/png', data: png });
    const bare = await finishWith(f, new Uint8Array([1, 2, 3]));
    expect(await f.store.getResult(bare)).toEqual({ kind: 'bytes', contentType: 'application/octet-stream', data: Buffer.from([1, 2, 3]) });
    const csv = await finishWith(f, { contentType: 'text/csv; charset=utf-8', data: Buffer.from('a,b\n1,2\n') });
    expect(await f.store.getResult(csv)).toMatchObject({ contentType: 'text/csv; charset=utf-8' });
  });

  it('refuses results over the size limit, or not JSON, with a clear error', () => {
    const f = new Fixture(redis, { maxResultBytes: 1_000 });
    expect(() => f.store.completion('x'.repeat(998))).not.toThrow();
    expect(() => f.store.completion('x'.repeat(999))).toThrow(/^result: is 1001 bytes of JSON, over the limit of 1000 bytes \(maxResultBytes\)$/);
    expect(() => f.store.completion({ contentType: 'image/png', data: Buffer.alloc(1_001) })).toThrow(/^result: is 1001 bytes, over the limit of 1000 bytes/);
    expect(() => f.store.completion(Buffer.alloc(1_000))).not.toThrow();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [value, pattern] of [
      [Number.NaN, /result: must be JSON, which has no NaN/],
      [{ score: Infinity }, /result: must be JSON, which has no Infinity \(at key "score"\)/],
      [10n, /result: must be JSON; 10 is not/],
      [{ map: new Map() }, /result: must be JSON; an object \(Map\) is not \(at key "map"\)/],
      [{ f: () => 1 }, /result: must be JSON; a function is not/],
      [cyclic, /result: must be JSON \(.*circular/],
      [{ contentType: 'not a type', data: Buffer.alloc(1) }, /result.contentType: must be a MIME type/],
    ] as const) {
      const error = (() => {
        try {
          f.store.completion(value);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(JobInputError);
      expect((error as JobInputError).message).toMatch(pattern);
      expect((error as JobInputError).code).toBe('invalid_request');
    }
  });

  it('answers null for an unknown job and a typed conflict for a job that did not succeed', async () => {
    const f = new Fixture(redis);
    expect(await f.store.getResult('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeNull();
    await expect(f.store.getResult('01arz3ndektsv4rrffq69g5fav')).rejects.toBeInstanceOf(JobInputError);
    const { id } = await f.submit();
    await expect(f.store.getResult(id)).rejects.toMatchObject({ code: 'conflict', status: 'queued', id });
    await f.start(id);
    await expect(f.store.getResult(id)).rejects.toBeInstanceOf(JobStateError);
  });

  it('describes failures as vars for the hooks', () => {
    const f = new Fixture(redis);
    expect(f.store.failure({ message: 'boom' })).toEqual({ vars: { error: '{"message":"boom"}' } });
    expect(f.store.failure({ message: 'boom', code: 'unknown_type' })).toEqual({ vars: { error: '{"message":"boom","code":"unknown_type"}' } });
    expect(JSON.parse(f.store.failure({ message: 'x'.repeat(5_000) }).vars.error!).message).toHaveLength(2_000);
    expect(() => f.store.failure({ message: 1 as unknown as string })).toThrow(/^error.message: must be a string/);
    expect(() => f.store.failure({ message: 'x', code: 'has space' })).toThrow(/^error.code: must be 1 to 64/);
  });
});
