import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError, JobsStore, type SubmitInput } from '../src/index.js';
import { connect, Fixture } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

/** The JobInputError `run` throws (sync or async), checked for its shape. */
async function inputError(run: () => unknown): Promise<JobInputError> {
  let error: unknown;
  try {
    await run();
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(JobInputError);
  const typed = error as JobInputError;
  expect(typed.code).toBe('invalid_request');
  expect(typed.message.startsWith(`${typed.field}: `)).toBe(true);
  return typed;
}

const DAY = 24 * 60 * 60 * 1000;

/** `{ a: { a: ... } }` with `levels` objects inside the outermost one, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 0; level < levels; level += 1) value = { a: value };
  return value;
}

describe('bad submissions: typed errors naming the field and the rule, nothing written', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 'echo', 'body', /must be a JSON object/],
    ['an array', [], 'body', /must be a JSON object/],
    ['an unknown field', { type: 'echo', nice: 1 }, 'nice', /is not a known field \(known: type, params/],
    ['a priority over 100', { type: 'echo', priority: 101 }, 'priority', /must be an integer from -100 to 100 \(received 101\)/],
    ['a priority under -100', { type: 'echo', priority: -101 }, 'priority', /from -100 to 100/],
    ['a fractional priority', { type: 'echo', priority: 0.5 }, 'priority', /integer/],
    ['a priority as a string', { type: 'echo', priority: '5' }, 'priority', /received "5"/],
    ['no type', { params: {} }, 'type', /must match \[a-z0-9\]/],
    ['an upper-case type', { type: 'Echo' }, 'type', /received "Echo"/],
    ['a type with a brace', { type: 'a{b}' }, 'type', /must match/],
    ['a 65-character type', { type: 'a'.repeat(65) }, 'type', /must match/],
    ['params as an array', { type: 'echo', params: [1] }, 'params', /must be a JSON object \(received an array of 1\)/],
    ['params as a string', { type: 'echo', params: '{}' }, 'params', /must be a JSON object/],
    ['params null', { type: 'echo', params: null }, 'params', /must be a JSON object \(received null\)/],
    ['params with NaN', { type: 'echo', params: { x: Number.NaN } }, 'params', /no NaN \(at key "x"\)/],
    ['params with Infinity from JSON', { type: 'echo', params: JSON.parse('{"big": 1e400}') }, 'params', /no Infinity/],
    ['params with a BigInt', { type: 'echo', params: { n: 1n } }, 'params', /must be JSON/],
    ['params nested 101 levels deep', { type: 'echo', params: nested(100) }, 'params', /must not nest objects and arrays more than 100 levels deep/],
    ['params nested far deeper than a stack', { type: 'echo', params: nested(20_000) }, 'params', /more than 100 levels deep/],
    ['params of a class', { type: 'echo', params: new Map() }, 'params', /must be a JSON object/],
    ['oversized params', { type: 'echo', params: { text: 'x'.repeat(300_000) } }, 'params', /is 300011 bytes of JSON, over the limit of 262144 bytes \(maxParamsBytes\)/],
    ['a negative delay', { type: 'echo', delayMs: -1 }, 'delayMs', /must be an integer from 0 to 31536000000 \(365 days\)/],
    ['a fractional delay', { type: 'echo', delayMs: 1.5 }, 'delayMs', /integer/],
    ['a delay over a year', { type: 'echo', delayMs: 366 * DAY }, 'delayMs', /integer/],
    ['a delay as a string', { type: 'echo', delayMs: '10' }, 'delayMs', /received "10"/],
    ['zero attempts', { type: 'echo', maxAttempts: 0 }, 'maxAttempts', /must be an integer from 1 to 100/],
    ['101 attempts', { type: 'echo', maxAttempts: 101 }, 'maxAttempts', /from 1 to 100/],
    ['a zero timeout', { type: 'echo', timeoutMs: 0 }, 'timeoutMs', /from 1 to 86400000 \(24 hours\)/],
    ['a timeout over a day', { type: 'echo', timeoutMs: DAY + 1 }, 'timeoutMs', /integer/],
    ['an infinite timeout', { type: 'echo', timeoutMs: Infinity }, 'timeoutMs', /integer/],
    ['an empty idempotency key', { type: 'echo', idempotencyKey: '' }, 'idempotencyKey', /1 to 200 printable ASCII/],
    ['a long idempotency key', { type: 'echo', idempotencyKey: 'k'.repeat(201) }, 'idempotencyKey', /printable/],
    ['a control character in the key', { type: 'echo', idempotencyKey: 'a\nb' }, 'idempotencyKey', /printable/],
    ['a numeric idempotency key', { type: 'echo', idempotencyKey: 42 }, 'idempotencyKey', /received 42/],
  ];

  it.each(cases)('refuses %s', async (_name, input, field, pattern) => {
    const f = new Fixture(redis);
    const error = await inputError(() => f.store.prepareSubmission(input as SubmitInput));
    expect(error.field).toBe(field);
    expect(error.message).toMatch(pattern);
    expect(await f.keys()).toEqual([]);
  });

  it('accepts the edges of every range', () => {
    const f = new Fixture(redis);
    const edges: SubmitInput[] = [
      { type: 'a' }, { type: `a${'_.-9'.repeat(15)}xyz` }, { type: 'e', delayMs: 0 }, { type: 'e', delayMs: 365 * DAY },
      { type: 'e', maxAttempts: 1 }, { type: 'e', maxAttempts: 100 }, { type: 'e', timeoutMs: 1 }, { type: 'e', timeoutMs: DAY },
      { type: 'e', idempotencyKey: '~'.repeat(200) }, { type: 'e', params: { text: 'x'.repeat(262_000) } },
      { type: 'e', params: nested(99) }, { type: 'e', params: { list: [[[[1]]]] } },
    ];
    for (const input of edges) expect(() => f.store.prepareSubmission(input)).not.toThrow();
  });
});

describe('bad ids, queries and progress', () => {
  const malformed = ['', 'abc', '01arz3ndektsv4rrffq69g5fav', '81ARZ3NDEKTSV4RRFFQ69G5FAV', '01ARZ3NDEKTSV4RRFFQ69G5FA*', '01ARZ3NDEKTSV4RRFFQ69G5FAV:x', '*', 42];

  it('refuses malformed ids before asking Redis, and answers null for unknown ones', async () => {
    const f = new Fixture(redis);
    for (const id of malformed) {
      for (const call of [() => f.store.get(id as string), () => f.store.getResult(id as string), () => f.store.prepareRetry(id as string),
        () => f.store.progress(id as string, 'tok', 1), () => f.store.watch(id as string, () => {})]) {
        expect((await inputError(call)).field).toBe('id');
      }
    }
    expect(await f.store.get('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeNull();
    expect(await f.store.progress('01ARZ3NDEKTSV4RRFFQ69G5FAV', 'tok', 1)).toBe(false);
    expect(await f.keys()).toEqual([]);
  });

  it('refuses bad list queries', async () => {
    const f = new Fixture(redis);
    const bad: Array<[unknown, string]> = [
      [{ limit: 0 }, 'limit'], [{ limit: 1001 }, 'limit'], [{ limit: 2.5 }, 'limit'], [{ limit: '10' }, 'limit'],
      [{ status: 'done' }, 'status'], [{ type: 'A' }, 'type'], [{ cursor: 'abc' }, 'cursor'], [{ cursor: '(01ARZ3NDEKTSV4RRFFQ69G5FAV' }, 'cursor'],
      [{ sort: 'asc' }, 'sort'], ['status=queued', 'query'],
    ];
    for (const [query, field] of bad) {
      expect((await inputError(() => f.store.list(query as never))).field).toBe(field);
    }
    expect(await f.keys()).toEqual([]);
  });

  it('refuses bad progress values and tokens, writing nothing', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const token = await f.start(id);
    const before = await redis.hgetall(`${f.store.keyBase}:job:${id}`);
    for (const value of [101, -1, Number.NaN, Infinity, [1], 'half', null, { note: 'x'.repeat(2_000) }, { bad: Number.NaN }]) {
      expect((await inputError(() => f.store.progress(id, token, value as number))).field).toBe('progress');
    }
    for (const bad of ['', 7, 't'.repeat(201)]) {
      expect((await inputError(() => f.store.progress(id, bad as string, 1))).field).toBe('token');
    }
    expect(await redis.hgetall(`${f.store.keyBase}:job:${id}`)).toEqual(before);
  });

  it('refuses bad store options', async () => {
    const field = async (options: unknown) => (await inputError(() => new JobsStore(options as never))).field;
    expect(await field(undefined)).toBe('options');
    expect(await field({})).toBe('options.redis');
    expect(await field({ redis: {} })).toBe('options.redis');
    expect(await field({ redis, prefix: 'a{b}' })).toBe('options.prefix');
    expect(await field({ redis, queue: '' })).toBe('options.queue');
    expect(await field({ redis, queue: 'a b' })).toBe('options.queue');
    expect(await field({ redis, retentionMs: 0 })).toBe('options.retentionMs');
    expect(await field({ redis, maxResultBytes: -1 })).toBe('options.maxResultBytes');
    expect(await field({ redis, maxParamsBytes: 1.5 })).toBe('options.maxParamsBytes');
    expect(await field({ redis, ttl: 5 })).toBe('options.ttl');
    expect(new JobsStore({ redis }).keyBase).toBe('{hotq:jobs}');
    expect(new JobsStore({ redis, prefix: 'p', queue: 'q.1' }).keyBase).toBe('{p:q.1}');
  });
});
