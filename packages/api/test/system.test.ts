import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../src/internal/operations.js';
import { Stats, WorkerList } from '../src/internal/schemas.js';
import { call, startApi, TestConsumer, waitFor, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

describe('GET /stats', () => {
  it('answers counts by status, queue depths, workers and throughput', async () => {
    const local = await startApi();
    const consumer = new TestConsumer(local.redis, local.prefix, local.queue);
    try {
      const empty = await call(local.base, 'GET', '/stats');
      expect(empty.status).toBe(200);
      expect(Stats.parse(empty.body)).toEqual({
        counts: { waiting: 0, queued: 0, delayed: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
        queue: { ready: 0, delayed: 0, leased: 0, dead: 0 },
        workers: 0,
        limits: [],
        throughput: { windowSeconds: 60, submittedPerMinute: 0, completedPerMinute: 0, deadPerMinute: 0, totals: expect.any(Object), history: expect.any(Array) },
        paused: false,
        partitionCount: 1,
      });
      for (let i = 0; i < 3; i += 1) await call(local.base, 'POST', '/jobs', { body: { type: 'echo' } });
      await call(local.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } });
      await consumer.runOne('ok');
      await consumer.take();
      const busy = await call(local.base, 'GET', '/stats');
      expect(busy.body.counts).toEqual({ waiting: 0, queued: 1, delayed: 1, running: 1, succeeded: 1, failed: 0, cancelled: 0 });
      expect(busy.body.queue).toEqual({ ready: 1, delayed: 1, leased: 1, dead: 0 });
      // Rates come from the queue's own per-minute counts: a fresh API process knows them at once.
      const history = busy.body.throughput.history as Array<{ at: string; submitted: number; completed: number; failed: number }>;
      expect(history).toHaveLength(60);
      expect(Date.parse(history[1]!.at) - Date.parse(history[0]!.at)).toBe(60_000);
      expect(history.slice(-2).reduce((sum, minute) => sum + minute.submitted, 0)).toBe(4);
      expect(history.slice(-2).reduce((sum, minute) => sum + minute.completed, 0)).toBe(1);
      expect(busy.body.throughput.totals).toMatchObject({ put: 4, acked: 1 });
      expect(busy.body.throughput.submittedPerMinute).toBeGreaterThan(0);
      expect(busy.body.throughput.completedPerMinute).toBeGreaterThan(0);
    } finally {
      await consumer.close();
      await local.close();
    }
  });

  it('takes no query parameters', async () => {
    expect((await call(api.base, 'GET', '/stats?verbose=1')).status).toBe(400);
  });
});

describe('GET /workers', () => {
  it('answers { workers: [...] }', async () => {
    const answer = await call(api.base, 'GET', '/workers');
    expect(answer.status).toBe(200);
    expect(WorkerList.parse(answer.body).workers).toEqual([]);
  });
});

describe('probes', () => {
  it('/healthz and /readyz answer 200 while Redis is up', async () => {
    expect((await call(api.base, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(api.base, 'GET', '/readyz')).body).toEqual({ status: 'ready' });
  });
});

describe('GET /metrics', () => {
  it('answers Prometheus text with per-app counters and Redis-derived gauges', async () => {
    const local = await startApi();
    try {
      await call(local.base, 'POST', '/jobs', { body: { type: 'wordcount' } });
      await call(local.base, 'POST', '/jobs', { body: { type: 'wordcount' } });
      await call(local.base, 'POST', '/jobs', { body: { type: 'stats', idempotencyKey: 'k' } });
      await call(local.base, 'POST', '/jobs', { body: { type: 'stats', idempotencyKey: 'k' } });
      const answer = await call(local.base, 'GET', '/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = answer.text;
      expect(text).toContain('hotq_api_jobs_submitted_total{type="wordcount"} 2');
      expect(text).toContain('hotq_api_jobs_submitted_total{type="stats"} 1');
      expect(text).toContain('hotq_jobs{status="queued"} 3');
      expect(text).toContain('hotq_jobs{status="running"} 0');
      expect(text).toContain('hotq_queue_depth{state="ready"} 3');
      expect(text).toContain('hotq_queue_events_total{event="put"} 3');
      expect(text).toContain('hotq_workers 0');
      expect(text).toContain('hotq_redis_up 1');
      expect(text).toMatch(/hotq_api_http_requests_total\{route="submitJob",method="POST",status="201"\} 3/);
      expect(text).toContain('hotq_api_http_request_duration_seconds_bucket');
      // A second app in the same process keeps its own registry.
      const other = await call(api.base, 'GET', '/metrics');
      expect(other.text).not.toContain('type="wordcount"');
    } finally {
      await local.close();
    }
  });
});

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document listing every route with its answers', async () => {
    const answer = await call(api.base, 'GET', '/openapi.json');
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc.openapi).toBe('3.1.0');
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(listed).toEqual([
      'DELETE /jobs/{id}', 'DELETE /limits/queue', 'DELETE /limits/tag/{tag}', 'DELETE /limits/type/{type}',
      'DELETE /schedules/{id}', 'GET /', 'GET /events', 'GET /healthz', 'GET /jobs', 'GET /jobs/{id}', 'GET /jobs/{id}/events',
      'GET /jobs/{id}/result', 'GET /limits', 'GET /metrics', 'GET /openapi.json', 'GET /readyz', 'GET /schedules',
      'GET /schedules/{id}', 'GET /stats', 'GET /ui/{file}', 'GET /workers', 'POST /jobs', 'POST /jobs/batch',
      'POST /jobs/cancel', 'POST /jobs/delete', 'POST /jobs/retry', 'POST /jobs/{id}/retry', 'POST /queue/pause',
      'POST /queue/resume', 'POST /schedules/{id}/pause', 'POST /schedules/{id}/resume', 'POST /schedules/{id}/run',
      'PUT /limits/queue', 'PUT /limits/tag/{tag}', 'PUT /limits/type/{type}', 'PUT /schedules/{id}',
    ]);
    expect(listed).toHaveLength(OPERATIONS.length);
    const submit = doc.paths['/jobs'].post;
    expect(Object.keys(submit.responses).sort()).toEqual(['200', '201', '400', '401', '403', '413', '415', '429', '500', '503']);
    // Every route documents the answer to a fault of the server itself.
    for (const item of Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const operation of Object.values(item)) expect(operation.responses['500']).toBeDefined();
    }
    expect(submit.responses['201'].headers.Location).toBeDefined();
    const body = doc.components.schemas.SubmitJob;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['type']);
    expect(body.properties.maxAttempts).toMatchObject({ minimum: 1, maximum: 100 });
    const list = doc.paths['/jobs'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort();
    expect(list).toEqual(['query:createdAfter', 'query:createdBefore', 'query:cursor', 'query:limit', 'query:status', 'query:tag', 'query:type']);
    const limit = doc.paths['/jobs'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000, default: 50 });
    expect(doc.paths['/jobs/{id}/events'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['access_token', 'id']);
    expect(doc.paths['/jobs/{id}'].delete.responses).toHaveProperty('202');
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(Object.keys(doc.paths['/jobs/batch'].post.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '415', '429', '500', '503']);
    expect(doc.components.schemas.SubmitJobBatch.properties.jobs).toMatchObject({ type: 'array', minItems: 1, maxItems: 1000 });
    expect(doc.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    expect(doc.servers[0].url).toBe('http://{host}:{port}');
    expect(doc.components.schemas.Job.required).toContain('status');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('the rest', () => {
  it('GET / is the dashboard page, which loads its script from this origin only', async () => {
    const answer = await call(api.base, 'GET', '/');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.text).toContain('<script type="module" src="/ui/app.js"></script>');
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    for (const [method, path] of [['GET', '/nope'], ['PUT', '/jobs'], ['PATCH', '/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV'], ['OPTIONS', '/jobs']] as const) {
      const answer = await call(api.base, method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe('not_found');
    }
  });

  it('sets security headers (helmet) and no X-Powered-By', async () => {
    const answer = await call(api.base, 'GET', '/healthz');
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('content-security-policy')).toBeTruthy();
    expect(answer.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(answer.headers.get('x-powered-by')).toBeNull();
  });

  it('sets the same security headers on a submission, a read and a 404, and escapes <, > and & in a submission\'s answer', async () => {
    const posted = await call(api.base, 'POST', '/jobs', { body: { type: 'headers', params: { html: '<b>&</b>' } } });
    expect(posted.status).toBe(201);
    const read = await call(api.base, 'GET', `/jobs/${(posted.body as { id: string }).id}`);
    const missing = await call(api.base, 'GET', '/nope');
    const security = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cross-origin-opener-policy'];
    for (const name of security) {
      expect(posted.headers.get(name), name).toBeTruthy();
      expect(read.headers.get(name), name).toBe(posted.headers.get(name));
      expect(missing.headers.get(name), name).toBe(posted.headers.get(name));
    }
    // Written by hand (no ETag on a write's answer), it must read like res.json's.
    expect(posted.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(posted.headers.get('content-length'))).toBe(Buffer.byteLength(posted.text));
    expect(posted.headers.get('location')).toBe(`/jobs/${(posted.body as { id: string }).id}`);
    expect(posted.headers.get('etag')).toBeNull();
    expect(posted.text).toContain('\\u003cb\\u003e\\u0026\\u003c/b\\u003e');
    expect((posted.body as { params: unknown }).params).toEqual({ html: '<b>&</b>' });
    expect(read.headers.get('etag')).toBeTruthy();
  });

  it('answers every request with an X-Request-Id: the one the client sent when it is well formed, a new one otherwise', async () => {
    const given = 'order-42.retry_1';
    const posted = await call(api.base, 'POST', '/jobs', { body: { type: 'headers', params: {} }, headers: { 'x-request-id': given } });
    const missing = await call(api.base, 'GET', '/nope', { headers: { 'x-request-id': given } });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('x-request-id')).toBe(given);
    expect(missing.headers.get('x-request-id')).toBe(given);
    const made = await call(api.base, 'POST', '/jobs', { body: { type: 'headers', params: {} }, headers: { 'x-request-id': 'not ok!' } });
    const other = await call(api.base, 'GET', '/healthz');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(other.headers.get('x-request-id')).not.toBe(made.headers.get('x-request-id'));
  });

  it('answers a malformed path escape with 400, not 500', async () => {
    const answer = await call(api.base, 'GET', '/jobs/%E0%A4%A/result');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({ code: 'invalid_request', message: 'path: malformed percent-encoding' });
  });
});

describe('logs', () => {
  it('writes one line per request, at info, without tokens, bodies or results', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const secret = 'super-secret-token-value';
    const local = await startApi({ logger, apiToken: secret });
    const consumer = new TestConsumer(local.redis, local.prefix, local.queue);
    try {
      const job = (await call(local.base, 'POST', '/jobs', { body: { type: 'echo', params: { password: 'hunter2' } }, token: secret })).body;
      await consumer.succeed(await consumer.take(), { answer: 'private-result' });
      await call(local.base, 'GET', `/jobs/${job.id}/result`, { token: secret });
      await call(local.base, 'GET', `/jobs/${job.id}/events?access_token=${secret}`);
      await call(local.base, 'GET', '/jobs', { token: 'wrong-token-value' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const requestLines = lines.map((line) => JSON.parse(line)).filter((entry) => entry.req);
      expect(requestLines).toHaveLength(4);
      expect(requestLines.every((entry) => entry.level === 30)).toBe(true);
      expect(requestLines.map((entry) => entry.res.statusCode)).toEqual([201, 200, 200, 401]);
      const all = lines.join('\n');
      for (const leak of [secret, 'hunter2', 'private-result', 'wrong-token-value', 'authorization']) expect(all).not.toContain(leak);
      expect(all).toContain('access_token=[redacted]');
    } finally {
      await consumer.close();
      await local.close();
    }
  });

  it('names each line by the X-Request-Id of its answer, and logs and counts a request whose client left before the answer as 499', async () => {
    const lines: Array<{ reqId?: string; req?: { method: string; url: string }; res?: { statusCode: number } }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean).map((line) => JSON.parse(line) as (typeof lines)[number]));
        done();
      },
    });
    const local = await startApi({ logger: pino({ level: 'info' }, sink) });
    try {
      const posted = await call(local.base, 'POST', '/jobs', { body: { type: 'logged', params: {} } });
      // Half a body, then the connection closes: no answer can be written.
      const socket = net.connect(Number(new URL(local.base).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write('POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"type":');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      await waitFor(async () => lines.filter((entry) => entry.req).length === 2, 'two request lines');
      const [submitted, abandoned] = lines.filter((entry) => entry.req);
      expect(submitted?.reqId).toBe(posted.headers.get('x-request-id'));
      expect(submitted?.res?.statusCode).toBe(201);
      expect(abandoned?.req).toMatchObject({ method: 'POST', url: '/jobs' });
      expect(abandoned?.res?.statusCode).toBe(499);
      const metrics = (await call(local.base, 'GET', '/metrics')).text;
      expect(metrics).toMatch(/hotq_api_http_requests_total\{route="submitJob",method="POST",status="499"\} 1/);
      expect(metrics).not.toMatch(/route="submitJob",method="POST",status="200"/);
    } finally {
      await local.close();
    }
  });
});

describe('GET /workers with live workers', () => {
  it('lists the presence records of live workers, newest beat first, and counts them in /stats', async () => {
    const local = await startApi();
    try {
      const now = Date.now();
      const record = (id: string, beat: number, running: string[]) => ({
        id, host: 'box', pid: 42, queue: local.queue, concurrency: 2, isolation: 'none', running,
        startedAt: new Date(now - 60_000).toISOString(), lastBeatAt: new Date(beat).toISOString(), ttlMs: 30_000,
      });
      // Written the way @hotq/worker writes them (its _presence.ts): a record with a TTL and an index entry.
      const older = record('w-older', now - 5_000, []);
      const newer = record('w-newer', now - 1_000, ['01ARZ3NDEKTSV4RRFFQ69G5FAV']);
      await local.redis.set(`${local.keyBase}:worker:w-older`, JSON.stringify(older), 'PX', 30_000);
      await local.redis.set(`${local.keyBase}:worker:w-newer`, JSON.stringify(newer), 'PX', 30_000);
      await local.redis.zadd(`${local.keyBase}:workers`, now - 5_000, 'w-older', now - 1_000, 'w-newer', now - 9_000, 'w-gone');
      const answer = await call(local.base, 'GET', '/workers');
      expect(answer.status).toBe(200);
      expect(WorkerList.parse(answer.body)).toEqual({ workers: [newer, older] });
      expect((await call(local.base, 'GET', '/stats')).body.workers).toBe(2);
      expect((await call(local.base, 'GET', '/metrics')).text).toContain('hotq_workers 2');
    } finally {
      await local.close();
    }
  });
});
