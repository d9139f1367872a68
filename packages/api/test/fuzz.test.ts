// Property-based test without a library: a seeded generator of requests, good and (mostly) bad.
// Properties: never a 5xx; every error has the JSON error shape and a known code; a rejected request
// (4xx) leaves Redis exactly as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot, startApi, type TestApi } from './helpers.js';

const RUNS = Number(process.env.HOTQ_FUZZ_RUNS ?? 3_000);
const SEED = Number(process.env.HOTQ_FUZZ_SEED ?? 0x5eed);
const TOKEN = 'fuzz-token';
const CODES = ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type'];

/** mulberry32: small, fast, reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let api: TestApi;
let existing: string;
beforeAll(async () => {
  api = await startApi({ apiToken: TOKEN, bodyLimit: 4096 });
  existing = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 3_600_000 }, token: TOKEN })).body.id;
});
afterAll(async () => {
  await api.close();
});

describe('generated requests', () => {
  it(`never answer 5xx and never change state when rejected (${RUNS} requests)`, async () => {
    const next = random(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const int = (max: number): number => Math.floor(next() * max);

    const strings = ['', ' ', 'echo', 'ECHO', 'a'.repeat(64), 'a'.repeat(65), 'é', '\u0000', '💥', '../etc', '{"x":1}', '%00', 'null', '-1', '1e3', '0x10', '__proto__', 'constructor'];
    const numbers = [0, 1, -1, 1.5, 100, 101, 1000, 1001, 2 ** 53, -(2 ** 53), 1e308, 86_400_000, 86_400_001, 31_536_000_000, 31_622_400_000];
    const value = (depth: number): unknown => {
      switch (int(depth > 2 ? 4 : 7)) {
        case 0: return pick(strings);
        case 1: return pick(numbers);
        case 2: return pick([true, false, null]);
        case 3: return 'x'.repeat(int(6000));
        case 4: return Array.from({ length: int(4) }, () => value(depth + 1));
        default: {
          const object: Record<string, unknown> = {};
          for (let i = int(4); i > 0; i -= 1) object[pick(['jobs', 'type', 'params', 'delayMs', 'maxAttempts', 'timeoutMs', 'idempotencyKey', 'extra', '__proto__', 'a'])] = value(depth + 1);
          return object;
        }
      }
    };
    const submission = (): Record<string, unknown> => {
      const body: Record<string, unknown> = { type: pick(['echo', 'sleep', 'x.y-z_1', 'Bad Type', '', 7]) };
      if (next() < 0.5) body.params = pick([{}, { a: 1 }, [], 'p', null, { nested: { deep: [1, 2] } }]);
      if (next() < 0.3) body.delayMs = pick([...numbers, '5']);
      if (next() < 0.3) body.maxAttempts = pick([...numbers, '3']);
      if (next() < 0.3) body.timeoutMs = pick([...numbers, null]);
      if (next() < 0.3) body.idempotencyKey = pick([...strings, 'key-1', 'key-2']);
      if (next() < 0.2) body.tags = pick([['customer:1'], ['a', 'b'], [], ['a', 'a'], ['a,b'], [''], 'tag', Array.from({ length: 9 }, (_, n) => `t${n}`), [7]]);
      if (next() < 0.1) body[pick(['priority', 'queue', 'id', 'status'])] = 1;
      if (next() < 0.15) body.dependsOn = pick([[], ['01ARZ3NDEKTSV4RRFFQ69G5FAV'], [0], [1, 0], [-1], ['x'], 'id', [null], Array.from({ length: 1_001 }, () => 0)]);
      if (next() < 0.1) body.onDependencyFailure = pick(['fail', 'run', 'later', 1]);
      return body;
    };
    const times = ['2026-01-31T12:00:00Z', '2000-01-01', '1969-12-31T00:00:00Z', '2026-02-30', 'yesterday', '2026-01-01T10:00', '9999-12-31T23:59:59.999+00:00', ''];
    // A bulk filter: mostly dry runs and narrow filters, so that the jobs made by the run mostly stay.
    const bulkFilter = (): Record<string, unknown> => {
      const body: Record<string, unknown> = {};
      if (next() < 0.4) body.status = pick(['failed', 'cancelled', 'succeeded', 'queued', 'done', 7]);
      if (next() < 0.3) body.type = pick(['echo', 'sleep', 'Bad Type', '']);
      if (next() < 0.3) body.tag = pick(['customer:1', 'a', 'a,b', '']);
      if (next() < 0.2) body.createdBefore = pick(times);
      if (next() < 0.2) body.finishedBefore = pick(times);
      if (next() < 0.3) body.all = pick([true, true, false, 'yes']);
      if (next() < 0.8) body.dryRun = pick([true, true, true, false, 'no']);
      if (next() < 0.05) body[pick(['limit', 'ids', 'force'])] = 1;
      return body;
    };
    const BULK = ['/jobs/retry', '/jobs/cancel', '/jobs/delete'];
    const ids = () => pick(['01ARZ3NDEKTSV4RRFFQ69G5FAV', existing, existing.toLowerCase(), 'abc', '0'.repeat(26), 'Z'.repeat(26), '8'.repeat(26), '%E0%A4%A', '%2e%2e', 'x'.repeat(300), '💥', '%00']);
    const paths = () => pick([
      '/jobs', '/jobs/batch', `/jobs/${ids()}`, `/jobs/${ids()}/result`, `/jobs/${ids()}/events`, `/jobs/${ids()}/retry`,
      '/stats', '/workers', '/metrics', '/openapi.json', '/', '/healthz', '/readyz', '/jobs/', '//jobs', '/JOBS', '/jobs/a/b/c', '/%',
      ...BULK, '/queue/pause', '/queue/resume', '/queue', '/queue/stop',
    ]);
    const query = (): string => {
      if (next() < 0.5) return '';
      const parts: string[] = [];
      for (let i = 1 + int(3); i > 0; i -= 1) {
        const key = pick(['status', 'type', 'limit', 'cursor', 'access_token', 'page', 'limit[]', '', 'tag', 'createdAfter', 'createdBefore']);
        const val = pick(['queued', 'done', '50', '0', '1001', '1.5', '', 'echo', TOKEN, 'x', '%zz', '%E2%82%AC', 'customer:1', ...times.map(encodeURIComponent)]);
        parts.push(`${key}=${val}`);
      }
      return `?${parts.join('&')}`;
    };

    let baseline = await snapshot(api.redis, api.keyBase);
    const seen = new Map<number, number>();
    let bulkDone = 0;
    for (let run = 0; run < RUNS; run += 1) {
      const method = pick(['GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD']);
      // Writes aim at POST /jobs (or, one time in four, /jobs/batch) half the time, so that valid submissions happen too,
      // and at the bulk actions one time in eight.
      const aimed = next();
      const target = method === 'POST' && aimed < 0.5 ? (next() < 0.25 ? '/jobs/batch' : '/jobs') : method === 'POST' && aimed < 0.625 ? pick(BULK) : paths();
      const path = `${target}${query()}`;
      const headers: Record<string, string> = {};
      const auth = next();
      if (auth < 0.75) headers.authorization = `Bearer ${TOKEN}`;
      else if (auth < 0.85) headers.authorization = pick(['Bearer nope', 'Basic abc', 'Bearer', '']);
      let raw: string | undefined;
      if (method !== 'GET' && method !== 'HEAD' && next() < 0.85) {
        const kind = next();
        const one = (): unknown => (target === '/jobs/batch' ? { jobs: Array.from({ length: 1 + int(4) }, () => submission()) } : BULK.includes(target) ? bulkFilter() : submission());
        raw = kind < 0.5 ? JSON.stringify(one()) : kind < 0.8 ? JSON.stringify(value(0)) : pick(['{', '{"type":', 'nul', '[1,', '{"type":"echo"}}', '\u0000', '{"a":1e999}']);
        if (next() < 0.9) headers['content-type'] = pick(['application/json', 'application/json', 'text/plain', 'application/json; charset=latin1', 'application/vnd.x+json', 'multipart/form-data']);
      }
      const context = `#${run} ${method} ${path} ${JSON.stringify(headers)} ${raw?.slice(0, 200) ?? ''}`;
      let body: unknown;
      const controller = new AbortController();
      const response = await fetch(`${api.base}${path}`, { method, headers, signal: controller.signal, ...(raw === undefined ? {} : { body: raw }) });
      const status = response.status;
      if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        controller.abort();
      } else {
        const text = await response.text();
        body = text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
      }
      seen.set(status, (seen.get(status) ?? 0) + 1);
      if (status === 200 && method === 'POST' && BULK.includes(target)) bulkDone += 1;
      expect(status, context).toBeLessThan(500);
      if (status >= 400 && method !== 'HEAD') {
        expect(CODES, context).toContain((body as { error?: { code?: string } })?.error?.code);
        expect(typeof (body as { error: { message: unknown } }).error.message, context).toBe('string');
      }
      const after = await snapshot(api.redis, api.keyBase);
      if (status >= 400) expect(after, context).toEqual(baseline);
      baseline = after;
    }
    // The generator reaches every kind of answer, not only one.
    for (const status of [200, 201, 400, 401, 404, 415]) expect(seen.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
    expect(bulkDone, 'bulk actions answered 200').toBeGreaterThan(0);
  }, 300_000);
});
