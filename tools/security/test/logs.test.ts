// No token, payload, result or Redis password in any line the processes print. A real run of
// hotq-api and hotq-worker at their most verbose level (trace), with both tokens set and a Redis that
// requires a password, through everything that logs: submissions (an idempotency key, a repeat), jobs
// that succeed, fail and are cancelled, results read, event streams opened with the token in the
// header and in the query, refused tokens (wrong, in the query of another route), bad requests, a
// Redis outage (stop and start) and a shutdown. Then every byte of their stdout and stderr is
// searched for each secret. (packages/api/test/system.test.ts checks the API's request lines
// in-process; this is the bins, both of them, everything they print.)
import { randomBytes } from 'node:crypto';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, startApi, startWorker, until, type Running } from './_bins.js';

const secret = (label: string) => `${label}-${randomBytes(10).toString('hex')}`;
const FULL = secret('full-token');
const READ = secret('read-token');
const WRONG = secret('wrong-token');
const PASSWORD = secret('redis-password');
const PARAM = secret('param');
const TEXT = secret('textword');
const FAILURE = secret('failure-message');
const IDEMPOTENCY = secret('idempotency-key');

let server: RedisServer;
let api: Running;
let worker: Running;
let base = '';
const full = { authorization: `Bearer ${FULL}` };
const json = { ...full, 'content-type': 'application/json' };

beforeAll(async () => {
  server = await startRedisServer({ appendonly: true, args: ['--requirepass', PASSWORD] });
  const url = server.url.replace('redis://', `redis://:${PASSWORD}@`);
  ({ api, base } = await startApi(['--log-level', 'trace'], { REDIS_URL: url, HOTQ_API_TOKEN: FULL, HOTQ_API_READ_TOKEN: READ }));
  worker = await startWorker(['--log-level', 'trace', '--lease-ms', '3000'], { REDIS_URL: url });
});
afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await server?.dispose();
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const answer = await fetch(`${base}/jobs`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  expect([200, 201]).toContain(answer.status);
  return ((await answer.json()) as { id: string }).id;
}

describe('a run of hotq-api and hotq-worker at log level trace', () => {
  it('prints no token, payload, result or password, anywhere', async () => {
    // Jobs that succeed (their results hold the secrets too), fail, and are cancelled.
    const echo = await submit({ type: 'echo', params: { secret: PARAM, nested: { again: PARAM } }, idempotencyKey: IDEMPOTENCY });
    expect(await submit({ type: 'echo', params: { secret: PARAM }, idempotencyKey: IDEMPOTENCY })).toBe(echo);
    const words = await submit({ type: 'wordcount', params: { text: `${TEXT} ${TEXT} plain words` } });
    const failing = await submit({ type: 'fail', params: { message: FAILURE }, maxAttempts: 2 });
    const later = await submit({ type: 'echo', params: { secret: PARAM }, delayMs: 60_000 });
    const watched = await submit({ type: 'sleep', params: { ms: 300 } });

    // Event streams, with the token in the header and in the query.
    const inQuery = fetch(`${base}/jobs/${watched}/events?access_token=${READ}`).then((answer) => answer.text());
    const inHeader = fetch(`${base}/jobs/${watched}/events`, { headers: { authorization: `Bearer ${READ}` } }).then((answer) => answer.text());
    expect(await inQuery).toContain('succeeded');
    expect(await inHeader).toContain('succeeded');

    for (const id of [echo, words, failing]) await finished(base, id, full);
    expect(await (await fetch(`${base}/jobs/${echo}/result`, { headers: full })).text()).toContain(PARAM);
    expect(await (await fetch(`${base}/jobs/${words}/result`, { headers: { authorization: `Bearer ${READ}` } })).text()).toContain(TEXT);
    expect(await (await fetch(`${base}/jobs/${failing}`, { headers: full })).text()).toContain(FAILURE);
    expect((await fetch(`${base}/jobs/${later}`, { method: 'DELETE', headers: full })).status).toBe(200);
    expect((await fetch(`${base}/jobs/${failing}/retry`, { method: 'POST', headers: full })).status).toBe(200);

    // Refusals and bad requests, with secrets in them.
    expect((await fetch(`${base}/jobs`, { headers: { authorization: `Bearer ${WRONG}` } })).status).toBe(401);
    expect((await fetch(`${base}/jobs?access_token=${FULL}`)).status).toBe(401);
    expect((await fetch(`${base}/stats?access_token=${WRONG}`)).status).toBe(401);
    expect((await fetch(`${base}/jobs/${echo}/events?access_token=${WRONG}`)).status).toBe(401);
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${READ}`, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'echo', params: { secret: PARAM } }) })).status).toBe(403);
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ type: 'echo', params: { secret: PARAM }, unknown: PARAM }) })).status).toBe(400);
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: json, body: `{"type":"echo","params":{"secret":"${PARAM}"` })).status).toBe(400);
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ type: 'echo', idempotencyKey: `${IDEMPOTENCY}\u0001` }) })).status).toBe(400);

    // A Redis outage and its end, then a job through it.
    await server.stop();
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ type: 'echo', params: { secret: PARAM } }) })).status).toBe(503);
    await until(() => worker.stdout().includes('Redis is unreachable'), 'the worker to notice the outage', worker);
    await server.start();
    await until(async () => (await fetch(`${base}/readyz`)).status === 200, 'the API to reconnect', api);
    await until(() => worker.stdout().includes('reachable again'), 'the worker to reconnect', worker);
    await finished(base, await submit({ type: 'echo', params: { secret: PARAM } }), full);

    await api.stop();
    await worker.stop();
    const output = `${api.output()}\n${worker.output()}`;
    // The run did log: a line per request, the worker's per-job lines (trace/debug) and its lifecycle.
    expect(api.stderr().split('\n').filter((line) => line.includes('"req"')).length).toBeGreaterThan(15);
    expect(worker.stdout()).toContain('job succeeded');
    expect(worker.stdout()).toContain('Redis is unreachable');
    for (const [what, value] of Object.entries({ FULL, READ, WRONG, PASSWORD, PARAM, TEXT, FAILURE, IDEMPOTENCY })) {
      expect(output.includes(value), `${what} appears in the output:\n${output.split('\n').filter((line) => line.includes(value)).slice(0, 3).join('\n')}`).toBe(false);
    }
    // The token in an event stream's URL was logged redacted.
    expect(api.stderr()).toContain('access_token=[redacted]');
  });
});
