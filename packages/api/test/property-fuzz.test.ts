// Property-based HTTP fuzz (fast-check) of every route, through fetch, against an app in this process
// (so that its prototypes can be watched): random methods, paths, ids with path and key separators,
// query strings (`__proto__[x]`, repeated and malformed escapes), headers, and bodies (near-valid
// submissions, random JSON with `__proto__`/`constructor` and duplicate keys, deep nesting, huge strings,
// invalid UTF-8, odd content types and encodings, a gzip bomb). For every request: never a 5xx; every
// error is the JSON error shape with a code a client can cause; a rejected request (4xx), a read and a
// repeated idempotent submission write nothing to Redis (see StateProbe; nothing expires during the
// run, so no read has retention to purge); no built-in prototype changes. At the end: nothing logged
// at error, still ready, no key outside the queue's hash tag.
// Its twin, property-fuzz-raw.test.ts, sends raw bytes to the hotq-api process.
// HOTQ_PROPERTY_RUNS (default 5000) and HOTQ_PROPERTY_SEED: a failure prints the seed and the shrunk
// request; rerun with the same seed to replay it.
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LimitList, LimitRemoved } from '../src/internal/limit-schemas.js';
import { BulkResult, Deleted, PauseState } from '../src/internal/operator-schemas.js';
import { Job as JobSchema, JobBatch, JobList, Limit, Stats, WorkerList } from '../src/internal/schemas.js';
import { startApi, type TestApi } from './helpers.js';
import { badErrorBody, body, bulkFilterText, FULL, latin1Printable, limitBody, percent, pollution, READ, REDIS_ARGS, SEED, seedJobs, StateProbe, type BodySpec } from './property-support.js';

const RUNS = Number(process.env.HOTQ_PROPERTY_RUNS ?? 5_000);

/** An id: one of the known jobs (maybe altered), or a literal. */
type IdSpec = { known: number; alter: string } | { literal: string };
const ODD_IDS = ['abc', '0'.repeat(26), 'Z'.repeat(26), '8'.repeat(26), '01ARZ3NDEKTSV4RRFFQ69G5FAVX', '%E0%A4%A', '%2e%2e', '..', '.', 'x'.repeat(300), '%F0%9F%92%A5', '%00', '%2F', '*', '{hotq:jobs}:job:01ARZ3NDEKTSV4RRFFQ69G5FAV', 'job:01ARZ3NDEKTSV4RRFFQ69G5FAV', '__proto__', 'constructor', '%5F%5Fproto%5F%5F', 'A'.repeat(20_000)];
const idSpec: fc.Arbitrary<IdSpec> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      // Half the time one of the six seeded jobs (one per state), else any job made so far.
      known: fc.oneof(fc.nat({ max: 5 }), fc.nat()),
      alter: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('lower', '/', '%2F', ':', '{', '}', '..', '%00', '*', ':result', ' ', '%20', 'X', '\\', '%5C', ';', ',') }),
    }),
  },
  { weight: 2, arbitrary: fc.ulid().map((literal) => ({ literal })) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_IDS).map((literal) => ({ literal })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map((text) => ({ literal: percent(text) })) },
);

/** Every route; the job routes more often. */
const ROUTES = [
  '/jobs', '/jobs', '/jobs', '/jobs/batch', '/jobs/:id', '/jobs/:id', '/jobs/:id', '/jobs/:id', '/jobs/:id/result', '/jobs/:id/result', '/jobs/:id/events', '/jobs/:id/events',
  '/jobs/:id/retry', '/jobs/:id/retry', '/stats', '/workers', '/healthz', '/readyz', '/metrics', '/openapi.json', '/',
  '/jobs/retry', '/jobs/cancel', '/jobs/delete', '/queue/pause', '/queue/resume',
  '/limits', '/limits/queue', '/limits/queue', '/limits/type/echo', '/limits/type/Echo', '/limits/tag/customer:acme', '/limits/tag/%20',
];
type PathSpec = { route: string; id: IdSpec; variant: string } | { raw: string };
const pathSpec: fc.Arbitrary<PathSpec> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ route: fc.constantFrom(...ROUTES), id: idSpec, variant: fc.constantFrom('', '', '', '', '', '', '/', '//', '/x', '.json', ';a=b', '%2F', '/..', '/.', '/%2e%2e/stats') }) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.oneof(fc.webSegment(), fc.constantFrom('jobs', 'JOBS', '..', '.', '%2e%2e', '%', '%zz', '{hotq', '}:job:', 'stats', '%2Fjobs'), fc.string({ unit: 'binary', maxLength: 10 }).map(percent)), { maxLength: 5 })
      .map((segments) => ({ raw: `/${segments.join('/')}` })),
  },
);

const QUERY_KEYS = ['status', 'type', 'limit', 'cursor', 'tag', 'createdAfter', 'createdBefore', 'access_token', '__proto__', 'constructor', 'prototype', 'limit[]', 'a[b]', '__proto__[polluted]', 'constructor[prototype][polluted]', 'hasOwnProperty', ''];
const QUERY_VALUES = ['waiting', 'queued', 'delayed', 'running', 'succeeded', 'failed', 'cancelled', 'done', '50', '1', '1000', '0', '1001', '-1', '1.5', '1e2', ' 5', '0x10', '', 'echo', 'Bad', FULL, READ, '01ARZ3NDEKTSV4RRFFQ69G5FAV', 'x'.repeat(600), 'customer:1', 'a,b', '2026-01-31T12:00:00Z', '2000-01-01', '1969-12-31', '2026-02-30', '2026-01-01T10:00'];
const query: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constant('') },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.record({
          key: fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 6 })),
          value: fc.oneof(fc.constantFrom(...QUERY_VALUES), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 })),
          raw: fc.constantFrom(false, false, false, true),
        }),
        { minLength: 1, maxLength: 4 },
      )
      .map((pairs) => `?${pairs.map(({ key, value, raw }) => (raw ? `${key}=${value}`.replace(/[#\s]/g, '') + pickBadEscape(value) : `${percent(key)}=${percent(value)}`)).join('&')}`),
  },
);
function pickBadEscape(value: string): string {
  return ['%', '%zz', '%E0%A4%A', '%00', '%FF'][value.length % 5]!;
}

const AUTH_ATTACKS = [`Bearer ${FULL.slice(0, -1)}`, `Bearer ${FULL}x`, `Bearer ${FULL.toUpperCase()}`, `Basic ${FULL}`, FULL, `Bearer ${READ}${FULL}`, `Bearer ${FULL} ${FULL}`, 'Bearer', 'Bearer  '];
const auth: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 24, arbitrary: fc.constant(`Bearer ${FULL}`) },
  { weight: 2, arbitrary: fc.constant(`Bearer ${READ}`) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.string({ unit: latin1Printable, maxLength: 40 }).map((text) => `Bearer ${text}`) },
  { weight: 1, arbitrary: fc.constantFrom(...AUTH_ATTACKS) },
);

const HEADER_NAMES = ['accept', 'accept-encoding', 'accept-language', 'origin', 'cookie', 'x-forwarded-for', 'x-forwarded-proto', 'x-http-method-override', 'last-event-id', 'if-none-match', 'if-modified-since', 'range', 'x-request-id', 'content-language', 'referer', 'user-agent', 'x-api-key', 'proxy-authorization', '__proto__', 'constructor'];
const extraHeaders = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as Array<[string, string]>) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...HEADER_NAMES), fc.stringMatching(/^x-[a-z0-9-]{1,12}$/)),
        fc.oneof(fc.string({ unit: latin1Printable, maxLength: 60 }), fc.constantFrom('end', 'DELETE', '*', 'bytes=0-1', FULL, 'x'.repeat(4_000))),
      ),
      { minLength: 1, maxLength: 4 },
    ),
  },
);

const METHODS = fc.oneof(
  { weight: 12, arbitrary: fc.constant('GET') },
  { weight: 14, arbitrary: fc.constant('POST') },
  { weight: 6, arbitrary: fc.constant('DELETE') },
  { weight: 3, arbitrary: fc.constant('HEAD') },
  { weight: 3, arbitrary: fc.constant('PUT') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'patch', 'PROPFIND', 'QUERY', 'FOO') },
);

interface FetchCase {
  method: string;
  path: PathSpec;
  /** Most POSTs aim at /jobs, /jobs/batch or a bulk action, so that valid requests happen. */
  toJobs: '/jobs' | '/jobs/batch' | '/jobs/retry' | '/jobs/cancel' | '/jobs/delete' | null;
  query: string;
  auth: string | null;
  headers: Array<[string, string]>;
  body: BodySpec | null;
  /** DELETE and retry take no body: send the one generated only this often. */
  bodyAnyway: boolean;
  /** A well-formed operation on a known job (a quarter of the cases), with the rest of the case still generated. */
  aim: { op: 'cancel' | 'retry' | 'result' | 'events' | 'get'; known: number } | null;
  /** Now and then a limit body sent to a /limits route (with the rest of the case still generated). */
  limit: { path: string; text: string } | null;
}

const fetchCase: fc.Arbitrary<FetchCase> = fc.record({
  method: METHODS,
  path: pathSpec,
  toJobs: fc.constantFrom('/jobs' as const, '/jobs' as const, '/jobs/batch' as const, null, null, '/jobs' as const, '/jobs/retry' as const, '/jobs/cancel' as const, '/jobs/delete' as const),
  query,
  auth,
  headers: extraHeaders,
  body: fc.option(body, { freq: 6 }),
  bodyAnyway: fc.constantFrom(true, false, false, false),
  aim: fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('cancel' as const, 'retry' as const, 'result' as const, 'events' as const, 'get' as const), known: fc.oneof(fc.nat({ max: 5 }), fc.nat()) }) },
  ),
  limit: fc.oneof(
    { weight: 15, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.record({ path: fc.constantFrom('/limits/queue', '/limits/type/echo', '/limits/tag/customer:acme', '/limits/tag/a%20b'), text: limitBody }) },
  ),
});

const AIMS = { cancel: ['DELETE', ''], retry: ['POST', '/retry'], result: ['GET', '/result'], events: ['GET', '/events'], get: ['GET', ''] } as const;

function resolveId(spec: IdSpec, known: readonly string[]): string {
  if ('literal' in spec) return spec.literal;
  const id = known[spec.known % known.length]!;
  if (spec.alter === '') return id;
  if (spec.alter === 'lower') return id.toLowerCase();
  return spec.known % 2 === 0 ? `${id}${spec.alter}` : `${spec.alter}${id}`;
}

function resolvePath(spec: PathSpec, known: readonly string[]): string {
  if ('raw' in spec) return spec.raw;
  return `${spec.route.replace(':id', resolveId(spec.id, known))}${spec.variant}`;
}

/** Which schema a 2xx JSON answer must satisfy, by the route Express would match (case-insensitive, trailing slash ignored). */
function successSchema(method: string, pathname: string) {
  const path = pathname.toLowerCase().replace(/\/+$/, '') || '/';
  if (method === 'GET' && path === '/jobs') return JobList;
  if (method === 'POST' && path === '/jobs') return JobSchema;
  if (method === 'POST' && path === '/jobs/batch') return JobBatch;
  if (method === 'GET' && /^\/jobs\/[^/]+$/.test(path)) return JobSchema;
  // DELETE cancels (the job) or, for a finished job, deletes it ({ id, deleted: true }).
  if (method === 'DELETE' && /^\/jobs\/[^/]+$/.test(path)) return z.union([JobSchema, Deleted]);
  if (method === 'POST' && /^\/jobs\/[^/]+\/retry$/.test(path)) return JobSchema;
  if (method === 'GET' && path === '/stats') return Stats;
  if (method === 'GET' && path === '/workers') return WorkerList;
  if (method === 'GET' && path === '/limits') return LimitList;
  if (method === 'PUT' && path.startsWith('/limits/')) return Limit;
  if (method === 'DELETE' && path.startsWith('/limits/')) return LimitRemoved;
  if (method === 'POST' && /^\/jobs\/(retry|cancel|delete)$/.test(path)) return BulkResult;
  if (method === 'POST' && /^\/queue\/(pause|resume)$/.test(path)) return PauseState;
  return undefined;
}

describe('property: requests through fetch to the app', () => {
  let api: TestApi;
  const logged: Array<{ level: number; msg?: string }> = [];
  const known: string[] = [];
  const seen = new Map<number, number>();
  let unsent = 0;
  let ran = 0;
  /** Batches answered 201. */
  let batches = 0;
  let limitsSet = 0;
  /** Bulk actions answered 200. */
  let bulkDone = 0;
  let server: RedisServer;
  let probe: StateProbe;

  beforeAll(async () => {
    server = await startRedisServer({ args: REDIS_ARGS });
    probe = await StateProbe.start(server.url);
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logged.push(JSON.parse(line) as { level: number; msg?: string });
        done();
      },
    });
    api = await startApi({ url: server.url, apiToken: FULL, readToken: READ, logger: pino({ level: 'warn' }, sink) });
    known.push(...(await seedJobs(api.base, api.redis, api.prefix, api.queue)));
    await probe.written(); // the seeding is not a request under test
  });
  afterAll(async () => {
    await api?.close();
    probe?.close();
    await server?.dispose();
  });

  /** Keeps the six seeded jobs and up to 58 made by the run, for later cases to aim at. */
  function remember(id: string): void {
    if (known.length < 64) known.push(id);
    else known[6 + (Number.parseInt(id.slice(-2), 36) % 58)] = id;
  }

  async function check(input: FetchCase): Promise<void> {
    ran += 1;
    const aim = input.aim === null ? undefined : AIMS[input.aim.op];
    const limit = aim === undefined ? input.limit : null;
    const method = aim ? aim[0] : limit ? 'PUT' : input.method;
    let path: string;
    if (aim) path = `/jobs/${known[input.aim!.known % known.length]!}${aim[1]}`;
    else if (limit) {
      path = limit.path;
      input = { ...input, body: { bytes: Buffer.from(limit.text), contentType: 'application/json', label: 'limit' } };
    }
    else path = input.toJobs && method === 'POST' ? input.toJobs : resolvePath(input.path, known);
    // A single submission sent to the batch route is sent as a batch of one (the bare one is still
    // sent sometimes, through the route list).
    const wrapped = path === '/jobs/batch' && input.body?.label === 'submission'
      ? { ...input.body, bytes: Buffer.concat([Buffer.from('{"jobs":['), input.body.bytes, Buffer.from(']}')]), label: 'batch of one' }
      : input.body;
    // The bulk routes get bulk filters most of the time.
    if (/^\/jobs\/(retry|cancel|delete)$/.test(path) && method === 'POST' && input.body?.label === 'submission') {
      input = { ...input, body: { ...input.body, bytes: Buffer.from(bulkFilterText(input.body.bytes), 'utf8'), label: 'bulk filter' } };
    }
    if (input.body?.label !== 'bulk filter') input = { ...input, body: wrapped };
    const url = `${api.base}${path}${input.query}`;
    // A list of pairs, not an object: a header named __proto__ must be sent, not become a prototype.
    const headers: Array<[string, string]> = [...input.headers];
    if (input.auth !== null) headers.push(['authorization', input.auth]);
    const bodiless = method === 'DELETE' || /\/retry/i.test(path);
    const sendsBody = input.body !== null && method !== 'GET' && method !== 'HEAD' && (!bodiless || input.bodyAnyway);
    if (sendsBody && input.body!.contentType !== null) headers.push(['content-type', input.body!.contentType]);
    if (sendsBody && input.body!.contentEncoding) headers.push(['content-encoding', input.body!.contentEncoding]);
    const what = `${method} ${url.slice(api.base.length, api.base.length + 300)} headers=${JSON.stringify(headers).slice(0, 300)} body=${sendsBody ? `${input.body!.label}: ${input.body!.bytes.subarray(0, 200).toString('latin1')}` : 'none'}`;

    const controller = new AbortController();
    let response: Response;
    try {
      response = await fetch(url, { method, headers, redirect: 'manual', signal: controller.signal, ...(sendsBody ? { body: input.body!.bytes } : {}) });
    } catch (error) {
      // fetch refuses some inputs before sending anything (a TypeError without a cause); the server
      // failing to answer is a network error with a cause.
      if (error instanceof TypeError && error.cause === undefined) {
        unsent += 1;
        return;
      }
      throw new Error(`${what}: no answer (${(error as Error).message}: ${String((error as Error).cause)})`);
    }
    const status = response.status;
    const type = response.headers.get('content-type') ?? '';
    let text = '';
    if (type.startsWith('text/event-stream')) controller.abort();
    else text = await response.text();
    seen.set(status, (seen.get(status) ?? 0) + 1);
    if (status === 200 && method === 'POST' && /^\/jobs\/(retry|cancel|delete)\/?$/i.test(new URL(url).pathname)) bulkDone += 1;

    const problems: string[] = [];
    if (status >= 500) problems.push(`answered ${status}: ${text.slice(0, 300)}`);
    if (status >= 400 && method !== 'HEAD') {
      if (type.includes('json')) {
        const bad = badErrorBody(text);
        if (bad) problems.push(bad);
      } else if (!(text === '' && [400, 413, 414, 431].includes(status))) {
        // Only Node's own HTTP parser answers without JSON (a request it cannot read at all).
        problems.push(`a non-JSON error (${type}): ${text.slice(0, 200)}`);
      }
    }
    if (status >= 200 && status < 300 && type.includes('json') && method !== 'HEAD') {
      const pathname = new URL(url).pathname;
      const schema = successSchema(method, pathname);
      const value: unknown = JSON.parse(text);
      if (schema && !schema.safeParse(value).success) problems.push(`a ${status} answer that is not a ${method} ${pathname} answer: ${text.slice(0, 300)}`);
      if (schema === Limit) limitsSet += 1;
      if (status === 201 && schema === JobBatch) {
        batches += 1;
        for (const { id } of (value as { jobs: Array<{ id: string }> }).jobs) remember(id);
      } else if (status === 201) {
        const id = (value as { id: string }).id;
        if (response.headers.get('location') !== `/jobs/${id}`) problems.push(`Location ${response.headers.get('location')}`);
        remember(id);
      }
    }
    // A rejection, a read, and an idempotent repeat of a submission (200) write nothing at all.
    const mustNotWrite = status >= 400 || method === 'GET' || method === 'HEAD' || (status === 200 && method === 'POST' && /^\/jobs\/?$/i.test(new URL(url).pathname));
    const written = await probe.written();
    if (mustNotWrite && written.length > 0) problems.push(`Redis changed: ${written.join('; ')}`);
    const polluted = pollution();
    if (polluted.length > 0) problems.push(`prototype pollution: ${polluted.join(', ')}`);
    if (problems.length > 0) throw new Error(`${what}\n  -> ${status}: ${problems.join('\n  ')}`);
  }

  it(`holds for ${RUNS} generated requests`, async () => {
    const started = Date.now();
    // A machine busy with other suites may not get through every case in time: the cases it ran
    // still count (every one was checked), as long as there are enough of them.
    await fc.assert(fc.asyncProperty(fetchCase, check), { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 200_000, markInterruptAsFailure: false });
    const elapsed = Date.now() - started;
    expect(ran).toBeGreaterThanOrEqual(Math.min(RUNS, 1_000));
    console.log(`fetch fuzz: ${ran} of ${RUNS} requests in ${elapsed} ms (seed ${SEED}); unsent (refused by fetch): ${unsent}; answers: ${JSON.stringify(Object.fromEntries([...seen].sort(([a], [b]) => a - b)))}; batches created: ${batches}; limits set: ${limitsSet}; bulk actions done: ${bulkDone}`);
    // The generators reach every kind of answer, not only one.
    for (const status of [200, 201, 202, 400, 401, 403, 404, 409, 413, 415]) expect(seen.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
    expect(unsent).toBeLessThan(RUNS / 100);
    expect(batches, 'batches answered 201').toBeGreaterThan(0);
    expect(limitsSet, 'limits set (PUT /limits/... answered 200)').toBeGreaterThan(0);
    expect(bulkDone, 'bulk actions answered 200').toBeGreaterThan(0);
    // Never an error logged (5xx, unhandled failures); still serving.
    expect(logged.filter((line) => line.level >= 50)).toEqual([]);
    expect((await fetch(`${api.base}/readyz`)).status).toBe(200);
    // No key outside the queue's hash tag was ever made.
    const stray = (await probe.keys()).filter((key) => !key.startsWith(`${api.keyBase}:`));
    expect(stray).toEqual([]);
  }, 240_000);
});
