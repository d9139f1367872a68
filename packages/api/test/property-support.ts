// Shared by the property-based fuzz tests (property-fuzz*.test.ts): what a request may do to Redis
// and to the process, jobs in every state to aim at, and the generators of bodies (fast-check).
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { ErrorBody } from '../src/internal/schemas.js';
import { TestConsumer } from './helpers.js';

export const FULL = 'prop-full-token-7b1f0c9e2d';
export const READ = 'prop-read-token-4a8e6d2c1b';
export const SEED = Number(process.env.HOTQ_PROPERTY_SEED ?? 20_260_801);
/** Arguments for the private redis-server of a fuzz file: keyspace notifications on (they name what a write touched). */
export const REDIS_ARGS = ['--notify-keyspace-events', 'EA'];

/** The codes a client can cause (redis_unavailable and internal_error are never expected here). */
const CLIENT_CODES = new Set(['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type']);

/** Why an error body is wrong, or null when it is the JSON error shape with a code a client can cause. */
export function badErrorBody(text: string): string | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `an error body that is not JSON: ${text.slice(0, 200)}`;
  }
  const parsed = ErrorBody.safeParse(value);
  if (!parsed.success) return `an error body of the wrong shape: ${text.slice(0, 300)}`;
  if (!CLIENT_CODES.has(parsed.data.error.code)) return `error code ${parsed.data.error.code}: ${parsed.data.error.message}`;
  return null;
}

/**
 * Two independent witnesses of writes to a private Redis, both cheap enough for every request:
 * the server's count of changes to its data (`rdb_changes_since_last_save`; nothing is ever saved
 * on these servers), which every command that changes a key raises, inside scripts too, even when it
 * writes the value the key already had; and keyspace notifications, which name the command and key.
 * (A DEBUG DIGEST of the whole data set would say the same but costs ~15 ms per request once a few
 * thousand keys exist.)
 */
export class StateProbe {
  private readonly writes: string[] = [];
  private mark = { changes: 0, writes: 0, loads: 0 };
  private marksNotCounted = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly events: Redis,
  ) {
    events.on('pmessage', (_pattern: string, channel: string, key: string) => this.writes.push(`${channel.slice(channel.indexOf(':') + 1)} ${key}`));
  }

  static async start(url: string): Promise<StateProbe> {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    const events = new Redis(url);
    await events.psubscribe('__keyevent@*__:*');
    const probe = new StateProbe(redis, events);
    await probe.written();
    return probe;
  }

  /**
   * The writes since the last call, named (empty when nothing was written). Call it once before the
   * first request and once after each: every write a request makes is done before its answer.
   */
  async written(): Promise<string[]> {
    // The count first, then a PING on the notifications connection: it is answered after every
    // notification already sent, so every counted change has been named by then (a write landing in
    // between is named now and counted next time).
    const changes = await this.changes();
    const loads = await this.libraryLoads();
    await this.events.ping();
    const all = this.writes.slice(this.mark.writes);
    // An event stream marks its queue watched (`<base>:watched`, one SET with an expiry, renewed while
    // streams are open) so that the scripts publish events: a subscription, not job data. Each mark
    // is one change and two notifications (set, expire); its expiry, once no stream renews it, one
    // change and one notification (expired). Renewals and expiries happen at any time, so a mark may
    // be named in one call and counted in the next: marks named and not yet counted are carried.
    const isMark = (write: string): boolean => / \S+:watched$/.test(write);
    this.marksNotCounted += all.filter((write) => isMark(write) && /^(set|expired) /.test(write)).length;
    const named = all.filter((write) => !isMark(write));
    // The first script call of a kind loads its function library (FUNCTION LOAD, one change, no key):
    // code, not data.
    const raw = changes - this.mark.changes - (loads - this.mark.loads);
    const fromMarks = Math.min(this.marksNotCounted, raw);
    this.marksNotCounted -= fromMarks;
    const count = raw - fromMarks;
    this.mark = { changes, writes: this.writes.length, loads };
    if (count === 0 && named.length === 0) return [];
    return [`${count} change(s)`, ...named.slice(0, 12)];
  }

  /** Every key name in the server. */
  async keys(): Promise<string[]> {
    return await this.redis.keys('*');
  }

  /** How many function libraries the server has loaded (each is one change). */
  private async libraryLoads(): Promise<number> {
    const match = /cmdstat_function\|load:calls=(\d+),.*failed_calls=(\d+)/.exec(await this.redis.info('commandstats'));
    // A load that found the library already there failed and changed nothing.
    return Number(match?.[1] ?? 0) - Number(match?.[2] ?? 0);
  }

  private async changes(): Promise<number> {
    const match = /rdb_changes_since_last_save:(\d+)/.exec(await this.redis.info('persistence'));
    if (!match) throw new Error('INFO persistence has no rdb_changes_since_last_save');
    return Number(match[1]);
  }

  close(): void {
    this.events.disconnect();
    this.redis.disconnect();
  }
}

const PROTOTYPES: ReadonlyArray<[string, object]> = [
  ['Object', Object.prototype], ['Array', Array.prototype], ['Function', Function.prototype], ['String', String.prototype],
  ['Number', Number.prototype], ['Boolean', Boolean.prototype], ['RegExp', RegExp.prototype], ['Promise', Promise.prototype],
  ['Error', Error.prototype], ['Object (static)', Object],
];
const prototypeKeys = (): string[][] => PROTOTYPES.map(([, target]) => Reflect.ownKeys(target).map(String).sort());
const cleanPrototypes = prototypeKeys();

/** Properties a built-in prototype gained or lost since this module loaded; gains are removed again. */
export function pollution(): string[] {
  const found: string[] = [];
  prototypeKeys().forEach((keys, index) => {
    const [name, target] = PROTOTYPES[index]!;
    const clean = cleanPrototypes[index]!;
    for (const key of keys) {
      if (!clean.includes(key)) {
        found.push(`${name} gained ${key}`);
        delete (target as Record<string, unknown>)[key];
      }
    }
    for (const key of clean) if (!keys.includes(key)) found.push(`${name} lost ${key}`);
  });
  return found;
}

/** Jobs in every state (running, succeeded, failed, queued, delayed, cancelled), through the API, for the generators to aim at. */
export async function seedJobs(base: string, redis: Redis, prefix: string, queue: string): Promise<string[]> {
  const submit = async (body: Record<string, unknown>): Promise<string> => {
    const answer = await fetch(`${base}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${FULL}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(answer.status).toBe(201);
    return ((await answer.json()) as { id: string }).id;
  };
  const consumer = new TestConsumer(redis, prefix, queue);
  try {
    const running = await submit({ type: 'echo', params: { n: 1 } });
    await consumer.take(3_600_000);
    const succeeded = await submit({ type: 'echo', params: { n: 2 } });
    await consumer.succeed(await consumer.take(), { ok: true, nested: { list: [1, 2, 3] } });
    const failed = await submit({ type: 'fail', params: {} });
    await consumer.fail(await consumer.take(), 'failed on purpose', 'on_purpose');
    const queued = await submit({ type: 'echo', params: { '__proto__': { polluted: true } }, idempotencyKey: 'fuzz-key-1' });
    const delayed = await submit({ type: 'sleep', params: { ms: 5 }, delayMs: 3_600_000, idempotencyKey: 'fuzz-key-2' });
    const cancelled = await submit({ type: 'echo' });
    expect((await fetch(`${base}/jobs/${cancelled}`, { method: 'DELETE', headers: { authorization: `Bearer ${FULL}` } })).status).toBe(200);
    return [running, succeeded, failed, queued, delayed, cancelled];
  } finally {
    await consumer.close();
  }
}

// ---- generators -------------------------------------------------------------------------------------

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD) except unreserved characters. */
export function percent(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export const latin1Printable = fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code));
const KEY_WORDS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'jobs', 'type', 'params', 'delayMs', 'maxAttempts', 'timeoutMs', 'idempotencyKey', 'id', 'status', 'result', ''];
const jsonKey = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...KEY_WORDS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);
const ODD_STRINGS = ['', ' ', 'echo', 'ECHO', 'é', '\u0000', '\u2028', '💥', '../etc/passwd', '{hotq:jobs}:job:x', '*', '%00', 'null', '__proto__', 'constructor', '\ud800', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(201)];
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('0', '-0', '1', '3', '100', '101', '1e3', '1E400', '-1e400', '1.5', '0.1', '9007199254740993', '1e-400', '31536000000', '31536000001', '86400000', '86400001', '123456789012345678901234567890', '1.0', '2e0'),
);
const stringText = fc.oneof(fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 16 }), fc.constantFrom(...ODD_STRINGS)).map((text) => JSON.stringify(text));

/** JSON texts, rendered from entries so that duplicate keys and `__proto__` own keys reach the server. */
const json = fc.letrec<{ node: string; leaf: string; arr: string; obj: string }>((tie) => ({
  node: fc.oneof({ maxDepth: 4, depthIdentifier: 'json' }, tie('leaf'), tie('arr'), tie('obj')),
  leaf: fc.oneof(numberText, stringText, fc.constantFrom('true', 'false', 'null')),
  arr: fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'json' }).map((items) => `[${items.join(',')}]`),
  obj: fc.array(fc.tuple(jsonKey, tie('node')), { maxLength: 5, depthIdentifier: 'json' }).map((entries) => `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`),
}));

const field = (name: string, valid: fc.Arbitrary<string>): fc.Arbitrary<Array<[string, string]>> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant([] as Array<[string, string]>) },
    { weight: 6, arbitrary: valid.map((value): Array<[string, string]> => [[name, value]]) },
    { weight: 1, arbitrary: json.node.map((value): Array<[string, string]> => [[name, value]]) },
  );

/** Bodies shaped like submissions: each field absent, valid or not, so that a good share of them is valid. */
export const submission = fc
  .record({
    type: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom('echo', 'sleep', 'x.y-z_1', 'a'.repeat(64)).map((type) => [['type', JSON.stringify(type)]] as Array<[string, string]>) },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,8}$/).map((type) => [['type', JSON.stringify(type)]] as Array<[string, string]>) },
      { weight: 2, arbitrary: field('type', stringText) },
    ),
    params: field('params', json.obj),
    delayMs: field('delayMs', fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 5_000 }).map(String) }, { weight: 1, arbitrary: numberText })),
    maxAttempts: field('maxAttempts', fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 100 }).map(String) }, { weight: 1, arbitrary: numberText })),
    timeoutMs: field('timeoutMs', fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 86_400_000 }).map(String) }, { weight: 1, arbitrary: fc.constant('null') }, { weight: 1, arbitrary: numberText })),
    idempotencyKey: field('idempotencyKey', fc.oneof(fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3'), fc.stringMatching(/^[\x20-\x7e]{1,12}$/)).map((key) => JSON.stringify(key))),
    tags: field('tags', fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,12}$/), { maxLength: 3 }).map((tags) => JSON.stringify([...new Set(tags)])) },
      { weight: 1, arbitrary: fc.constantFrom('["a","a"]', '["a,b"]', '[""]', '"tag"', '[7]', JSON.stringify(Array.from({ length: 9 }, (_, n) => `t${n}`)), JSON.stringify(['x'.repeat(65)])) },
    )),
    dependsOn: field('dependsOn', fc.constantFrom('[]', '["01ARZ3NDEKTSV4RRFFQ69G5FAV"]', '[0]', '[1,0]', '[-1]', '["x"]', '"id"')),
    onDependencyFailure: field('onDependencyFailure', fc.constantFrom('"fail"', '"run"', '"later"')),
    extra: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(jsonKey, json.node), { minLength: 1, maxLength: 2 }) }),
  })
  .map((parts) => `{${[...parts.type, ...parts.params, ...parts.delayMs, ...parts.maxAttempts, ...parts.timeoutMs, ...parts.idempotencyKey, ...parts.tags, ...parts.dependsOn, ...parts.onDependencyFailure, ...parts.extra].map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`);

/**
 * Bodies shaped like batches (POST /jobs/batch): `{"jobs":[...]}` with a few submissions (most of them
 * valid, so whole batches succeed), or a broken frame (no array, empty, too many, an extra field).
 */
export const batch = fc.oneof(
  { weight: 8, arbitrary: fc.array(submission, { minLength: 1, maxLength: 5 }).map((items) => `{"jobs":[${items.join(',')}]}`) },
  { weight: 4, arbitrary: fc.array(fc.constantFrom('{"type":"echo"}', '{"type":"echo","idempotencyKey":"fuzz-key-1"}', '{"type":"sleep","params":{"ms":5},"delayMs":3600000}', '{"type":"echo","idempotencyKey":"fuzz-batch-key"}'), { minLength: 1, maxLength: 8 }).map((items) => `{"jobs":[${items.join(',')}]}`) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('{"jobs":[]}', '{"jobs":{}}', '{"jobs":null}', '{"jobs":"echo"}', '{}', '{"jobs":[null]}', '{"jobs":[[]]}', '{"jobs":[{"type":"echo"}],"extra":1}', '{"jobs":[{"type":"echo"}],"__proto__":{"x":1}}', `{"jobs":[${Array.from({ length: 1_001 }, () => '{"type":"echo"}').join(',')}]}`),
      json.node.map((node) => `{"jobs":${node}}`),
      fc.array(json.node, { minLength: 1, maxLength: 3 }).map((items) => `{"jobs":[${items.join(',')}]}`),
    ),
  },
);

const CLOSERS: Record<string, string> = { '[': ']', '{"a":': '}', '{"__proto__":': '}', '{"constructor":{"prototype":': '}}' };
/** Nesting far past what a handler would use (the recursion of JSON.stringify ends near a few thousand levels). */
const deep = fc
  .record({ depth: fc.integer({ min: 64, max: 12_000 }), open: fc.constantFrom(...Object.keys(CLOSERS)), inParams: fc.boolean() })
  .map(({ depth, open, inParams }) => {
    const inner = `${open.repeat(depth)}1${CLOSERS[open]!.repeat(depth)}`;
    return inParams ? `{"type":"echo","params":{"x":${inner}}}` : inner;
  });

/** Huge strings around the body limit (1 MiB) and the params limit (256 KiB). */
const huge = fc
  .record({ size: fc.constantFrom(70_000, 262_000, 300_000, 1_000_000, 1_100_000, 2_500_000), where: fc.constantFrom('type', 'params', 'key', 'idempotencyKey') })
  .map(({ size, where }) => {
    const text = JSON.stringify('x'.repeat(size));
    if (where === 'type') return `{"type":${text}}`;
    if (where === 'key') return `{"type":"echo","params":{${text}:1}}`;
    if (where === 'idempotencyKey') return `{"type":"echo","idempotencyKey":${text}}`;
    return `{"type":"echo","params":{"s":${text}}}`;
  });

const MALFORMED = ['{', '{"type":', 'nul', '[1,', '{"type":"echo"}}', '{"type":"echo",}', '\u0000', '{"a":1e999}', "{'type':'echo'}", '{"type":"echo"} trailing', '\ufeff{"type":"echo"}', '"just a string"', '123', 'true', 'null', '[]', ''];

/** Bytes that are not valid UTF-8 (lone continuation bytes, overlong forms, surrogates, 0xFF). */
export const badUtf8 = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 24 }),
  fc.constantFrom([0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0x80], [0xc3], [0xf4, 0x90, 0x80, 0x80]).map((bytes) => Uint8Array.from(bytes)),
);

/** A body: its bytes and any headers it needs. */
export interface BodySpec {
  bytes: Buffer;
  contentType: string | null;
  contentEncoding?: string;
  label: string;
}

const GZIP_BOMB = gzipSync(`{"type":"echo","params":{"a":"${'x'.repeat(8 * 1024 * 1024)}"}}`);
const GZIP_OK = gzipSync('{"type":"echo","params":{"zipped":true}}');
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'APPLICATION/JSON', 'application/vnd.api+json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset="', 'application/', '*/*'];

/** Bodies of PUT /limits/...: mostly well-formed, else values out of range, wrong types, unknown fields. */
export const limitBody = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      { rate: fc.record({ count: fc.integer({ min: 1, max: 100_000 }), perMs: fc.integer({ min: 1, max: 86_400_000 }) }), concurrency: fc.integer({ min: 1, max: 100_000 }) },
      { requiredKeys: [] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        rate: fc.oneof(fc.record({ count: fc.oneof(fc.integer({ min: -2, max: 100_001 }), fc.constant('5')), perMs: fc.oneof(fc.integer({ min: -1, max: 86_400_001 }), fc.constant(null)) }, { requiredKeys: [] }), fc.constant(5)),
        concurrency: fc.oneof(fc.integer({ min: -1, max: 100_001 }), fc.double(), fc.constant(null)),
        burst: fc.nat(),
      },
      { requiredKeys: [] },
    ),
  },
).map((limit) => JSON.stringify(limit));

const bodyText = fc.oneof(
  { weight: 10, arbitrary: submission.map((text) => ({ text, label: 'submission' })) },
  { weight: 3, arbitrary: limitBody.map((text) => ({ text, label: 'limit' })) },
  { weight: 4, arbitrary: batch.map((text) => ({ text, label: 'batch' })) },
  { weight: 4, arbitrary: json.node.map((text) => ({ text, label: 'json' })) },
  { weight: 1, arbitrary: deep.map((text) => ({ text, label: 'deep' })) },
  { weight: 1, arbitrary: fc.constantFrom(...MALFORMED).map((text) => ({ text, label: 'malformed' })) },
);

export const body: fc.Arbitrary<BodySpec> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .record({ text: bodyText, contentType: fc.oneof({ weight: 12, arbitrary: fc.constant('application/json') }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: fc.constant(null) }) })
      .map(({ text, contentType }) => ({ bytes: Buffer.from(text.text, 'utf8'), contentType, label: text.label })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ prefix: fc.constantFrom('{"type":"', '{"type":"echo","params":{"a":"', '{"type":"echo","params":{"', '{"', '["', ''), bytes: badUtf8, suffix: fc.constantFrom('"}', '"}}', '":1}}', '') })
      .map(({ prefix, bytes, suffix }) => ({ bytes: Buffer.concat([Buffer.from(prefix), bytes, Buffer.from(suffix)]), contentType: 'application/json', label: 'invalid utf-8' })),
  },
  { weight: 1, arbitrary: huge.map((text) => ({ bytes: Buffer.from(text), contentType: 'application/json', label: `huge ${text.length} B` })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { bytes: GZIP_BOMB, contentType: 'application/json', contentEncoding: 'gzip', label: 'gzip bomb (8 MiB inflated)' },
      { bytes: GZIP_OK, contentType: 'application/json', contentEncoding: 'gzip', label: 'gzip' },
      { bytes: Buffer.from('{"type":"echo"}'), contentType: 'application/json', contentEncoding: 'gzip', label: 'not gzip' },
      { bytes: Buffer.from('{"type":"echo"}'), contentType: 'application/json', contentEncoding: 'x-unknown', label: 'unknown encoding' },
      { bytes: Buffer.from('{"type":"echo"}', 'utf16le'), contentType: 'application/json; charset=utf-16le', label: 'utf-16' },
    ),
  },
);

const BULK_VALUES: Record<string, unknown[]> = {
  status: ['failed', 'cancelled', 'succeeded', 'queued', 'done', 7, null],
  type: ['echo', 'sleep', 'Bad Type', ''],
  tag: ['a', 'customer:1', 'a,b', ''],
  createdBefore: ['2026-01-31T12:00:00Z', '2000-01-01', '2026-02-30', 'soon', 12],
  finishedBefore: ['2099-01-01T00:00:00Z', '1969-12-31T00:00:00Z', '2026-13-01', ''],
  all: [true, false, 'yes', null],
  dryRun: [true, true, true, true, false],
  limit: [5],
};

/**
 * A bulk filter, made from a generated submission's bytes (so that fast-check shrinks it with the
 * rest of the case): each byte picks a field and a value. Mostly dry runs and narrow filters, so
 * that the run's jobs mostly stay.
 */
export function bulkFilterText(seed: Buffer): string {
  const names = Object.keys(BULK_VALUES).concat('__proto__');
  const entries: string[] = [];
  // One to three fields (the usual filter is one or two).
  const count = 1 + (seed.length % 3);
  for (let index = 0; index + 1 < Math.min(seed.length, count * 2); index += 2) {
    const name = names[(seed[index] as number) % names.length] as string;
    // `__proto__` as a JSON key: the body parser must keep it a plain (unknown) field.
    const values = Object.hasOwn(BULK_VALUES, name) ? (BULK_VALUES[name] as unknown[]) : [{ all: true }];
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(values[(seed[index + 1] as number) % values.length])}`);
  }
  return `{${entries.join(',')}}`;
}
