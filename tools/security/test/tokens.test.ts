// The two tokens of the API under attack, against the real hotq-api process with HOTQ_API_TOKEN and
// HOTQ_API_READ_TOKEN set in its environment, on a private redis-server.
//
// Already proven in packages/api/test/auth.test.ts (in-process app), not repeated here: every route
// answers 401 with WWW-Authenticate to no token, to `not-it`, to `Basic ...`, to a bare `Bearer`, to a
// lower-case scheme with the token cut by one, and to the raw token without a scheme; the probes
// need no token; the full token may do everything; the read token reads, and its POST /jobs, DELETE
// and retry are 403 with Redis unchanged; authentication comes before validation; `access_token` is
// taken on the event streams (both tokens) and refused on GET /jobs, /jobs/:id, /jobs/:id/result,
// /stats and POST /jobs.
//
// Here: the full token truncated at every length, padded, case-changed at every position, in every
// other header and scheme we could think of, sent twice; the read token on every route with every
// write method (and with a method-override header); `access_token` on every other route and method,
// on the event streams (a job's and GET /events) with a write method or beside a wrong header, in a body, with a changed name.
// Every such request is refused (401, or 403 for the read token), never echoes a token, and the whole
// attack writes nothing to Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, until, type Running } from './_bins.js';

const FULL = `full-${randomBytes(16).toString('hex')}`;
const READ = `read-${randomBytes(16).toString('hex')}`;

let server: RedisServer;
let redis: Redis;
let api: Running;
let base = '';
let jobId = '';
/** Every answer given to an attack, to check at the end that none of them echoed a token. */
const answered: string[] = [];

async function changes(): Promise<number> {
  return Number(/rdb_changes_since_last_save:(\d+)/.exec(await redis.info('persistence'))?.[1]);
}

async function send(method: string, path: string, headers: Array<[string, string]> = [], body?: string): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  // An event stream that was (wrongly) opened would never end: read no more than the head then.
  const text = (response.headers.get('content-type') ?? '').startsWith('text/event-stream') ? '' : await response.text();
  if (text === '') await response.body?.cancel();
  answered.push(`${[...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n')}\n${text}`);
  return { status: response.status, text, headers: response.headers };
}

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  ({ api, base } = await startApi(['--redis-url', server.url, '--log-level', 'warn'], { HOTQ_API_TOKEN: FULL, HOTQ_API_READ_TOKEN: READ }));
  // It listens before its Redis connection is up (meanwhile a request is a 503): wait until it is ready.
  await until(async () => (await fetch(`${base}/readyz`)).status === 200, 'hotq-api to reach Redis', api);
  const created = await fetch(`${base}/jobs`, { method: 'POST', headers: { authorization: `Bearer ${FULL}`, 'content-type': 'application/json' }, body: '{"type":"echo","delayMs":3600000}' });
  expect(created.status).toBe(201);
  jobId = ((await created.json()) as { id: string }).id;
});
afterAll(async () => {
  await api?.stop();
  redis?.disconnect();
  await server?.dispose();
});

/**
 * Every route of the API that needs a token, with a method that reaches it (the id is a real job). The
 * dashboard's files (GET / and /ui/) are public by design (decision 0012): they hold no data.
 */
const routes = (): Array<[string, string]> => [
  ['GET', '/jobs'], ['POST', '/jobs'], ['GET', `/jobs/${jobId}`], ['DELETE', `/jobs/${jobId}`], ['GET', `/jobs/${jobId}/result`],
  ['GET', `/jobs/${jobId}/events`], ['GET', '/events'], ['POST', `/jobs/${jobId}/retry`], ['GET', '/stats'], ['GET', '/workers'], ['GET', '/metrics'],
  ['GET', '/openapi.json'], ['GET', '/no/such/route'],
];
const jsonBody = (method: string) => (method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{"type":"echo"}' : undefined);
const withBody = (method: string, headers: Array<[string, string]>): Array<[string, string]> => (jsonBody(method) ? [...headers, ['content-type', 'application/json']] : headers);

describe('the full token, altered', () => {
  const swapCase = (text: string, at: number) => text.slice(0, at) + (text[at] === text[at]!.toUpperCase() ? text[at]!.toLowerCase() : text[at]!.toUpperCase()) + text.slice(at + 1);
  const variants = (): string[] => [
    // Truncated at every length, from either end.
    ...Array.from({ length: FULL.length - 1 }, (_, n) => FULL.slice(0, n + 1)),
    ...Array.from({ length: FULL.length - 1 }, (_, n) => FULL.slice(n + 1)),
    // Padded.
    `${FULL}x`, `x${FULL}`, `${FULL}${FULL}`, `${FULL}=`, `${FULL}%20`, `${FULL} x`, `${FULL}\tx`, `${FULL},`, `${FULL};`, `"${FULL}"`, `<${FULL}>`, `${FULL}\u00a0`, `\u00a0${FULL}`,
    `${READ}${FULL}`, `${FULL}${READ}`, `${FULL} ${READ}`,
    // Case-changed: all of it, and each letter alone.
    FULL.toUpperCase(),
    ...[...FULL].flatMap((char, at) => (char.toUpperCase() === char.toLowerCase() ? [] : [swapCase(FULL, at)])),
    // One character replaced, encoded or base64'd.
    `${FULL.slice(0, -1)}\u00e9`, encodeURIComponent(`${FULL}/`), Buffer.from(FULL).toString('base64'),
  ];

  it(`is refused (401, invalid_token) in every variant, on a read and on a write route`, async () => {
    const before = await changes();
    const list = variants();
    // About 108 on average: how many letters the random token has to swap varies from run to run.
    expect(list.length).toBeGreaterThan(90);
    for (const variant of list) {
      for (const [method, path] of [['GET', '/jobs'], ['POST', '/jobs']] as const) {
        const answer = await send(method, path, withBody(method, [['authorization', `Bearer ${variant}`]]), jsonBody(method));
        expect(answer.status, `${method} ${path} with Bearer ${JSON.stringify(variant)}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toContain('invalid_token');
      }
    }
    expect(await changes()).toBe(before);
  });

  it('is refused in every variant on every route (a sample of the variants per route)', async () => {
    const before = await changes();
    const list = variants();
    for (const [method, path] of routes()) {
      for (const variant of [list[3]!, list[FULL.length]!, `${FULL}x`, FULL.toUpperCase(), list.at(-1)!]) {
        const answer = await send(method, path, withBody(method, [['authorization', `Bearer ${variant}`]]), jsonBody(method));
        expect(answer.status, `${method} ${path} with ${JSON.stringify(variant)}`).toBe(401);
      }
    }
    expect(await changes()).toBe(before);
  });

  it('is the same token with more spaces after Bearer or around it (HTTP trims header values): accepted', async () => {
    for (const header of [`Bearer  ${FULL}`, `Bearer\t${FULL}`, `bearer ${FULL}`, `BEARER ${FULL}`, `Bearer ${FULL}  `, `  Bearer ${FULL}`]) {
      expect((await send('GET', '/stats', [['authorization', header]])).status, JSON.stringify(header)).toBe(200);
    }
  });
});

describe('the full token in the wrong place', () => {
  const wrongPlaces = (): Array<Array<[string, string]>> => [
    [['x-api-key', FULL]], [['x-auth-token', FULL]], [['x-access-token', FULL]], [['api-key', FULL]], [['token', FULL]], [['access_token', FULL]],
    [['proxy-authorization', `Bearer ${FULL}`]], [['authentication', `Bearer ${FULL}`]], [['x-authorization', `Bearer ${FULL}`]],
    [['cookie', `token=${FULL}`]], [['cookie', `access_token=${FULL}`]], [['x-forwarded-authorization', `Bearer ${FULL}`]],
    [['authorization', `Token ${FULL}`]], [['authorization', `Basic ${Buffer.from(`${FULL}:`).toString('base64')}`]],
    [['authorization', `Basic ${Buffer.from(`:${FULL}`).toString('base64')}`]], [['authorization', `Basic ${Buffer.from(`x:${FULL}`).toString('base64')}`]],
    [['authorization', `Bearer: ${FULL}`]], [['authorization', `Bearer=${FULL}`]], [['authorization', `Digest ${FULL}`]], [['authorization', `${FULL} Bearer`]],
    [['authorization', `Bearer${FULL}`]], [['authorization', `Bearer ${Buffer.from(FULL).toString('base64')}`]],
    // Two Authorization headers (fetch joins them with ", ").
    [['authorization', 'Bearer wrong'], ['authorization', `Bearer ${FULL}`]],
    [['authorization', `Bearer ${FULL}`], ['authorization', 'Bearer wrong']],
    [['authorization', `Bearer ${READ}`], ['authorization', `Bearer ${FULL}`]],
  ];

  it('is refused (401) on every route', async () => {
    const before = await changes();
    for (const [method, path] of routes()) {
      for (const headers of wrongPlaces()) {
        const answer = await send(method, path, withBody(method, headers), jsonBody(method));
        expect(answer.status, `${method} ${path} with ${JSON.stringify(headers)}`).toBe(401);
      }
    }
    expect(await changes()).toBe(before);
  });
});

describe('the read-only token', () => {
  it('is refused (403) on every route with every write method, and writes nothing', async () => {
    const before = await changes();
    const paths = [...new Set(routes().map(([, path]) => path)), '/healthz/x', `/jobs/${jobId}/result/x`];
    for (const path of paths) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND']) {
        const answer = await send(method, path, withBody(method, [['authorization', `Bearer ${READ}`]]), jsonBody(method));
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(JSON.parse(answer.text).error.code).toBe('forbidden');
      }
    }
    // A method-override header does not turn a read into a write.
    for (const override of ['DELETE', 'POST']) {
      for (const header of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
        const answer = await send('GET', `/jobs/${jobId}`, [['authorization', `Bearer ${READ}`], [header, override]]);
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.text).status).toBe('delayed');
      }
    }
    // Nor does a query parameter that names a method, or the full token in the query beside it.
    expect((await send('DELETE', `/jobs/${jobId}?access_token=${FULL}`, [['authorization', `Bearer ${READ}`]])).status).toBe(403);
    expect((await send('POST', `/jobs/${jobId}/retry?_method=GET`, [['authorization', `Bearer ${READ}`]])).status).toBe(403);
    expect(await changes()).toBe(before);
  });

  it('may still read everything, HEAD included', async () => {
    for (const [method, path] of routes().filter(([m, p]) => m === 'GET' && p !== '/no/such/route' && !p.endsWith('/result'))) {
      expect((await send(method, path, [['authorization', `Bearer ${READ}`]])).status, path).toBe(200);
      expect((await send('HEAD', path, [['authorization', `Bearer ${READ}`]])).status, `HEAD ${path}`).toBe(200);
    }
  });
});

describe('access_token in the query', () => {
  it('is refused (401) on every route but the event stream, with either token and every method', async () => {
    const before = await changes();
    for (const token of [FULL, READ]) {
      for (const [method, path] of routes().filter(([, p]) => !p.endsWith('/events'))) {
        for (const name of ['access_token', 'ACCESS_TOKEN', 'access%5Ftoken', 'token', 'api_key']) {
          const answer = await send(method, `${path}?${name}=${token}`, withBody(method, []), jsonBody(method));
          expect(answer.status, `${method} ${path}?${name}=...`).toBe(401);
        }
      }
      // On the event stream's path, only GET (and HEAD) take it.
      for (const method of ['POST', 'DELETE', 'PUT']) {
        expect((await send(method, `/jobs/${jobId}/events?access_token=${token}`, withBody(method, []), jsonBody(method))).status, method).toBe(401);
      }
    }
    // In a body it is just an unknown field, after the 401.
    expect((await send('POST', '/jobs', [['content-type', 'application/json']], JSON.stringify({ type: 'echo', access_token: FULL }))).status).toBe(401);
    expect(await changes()).toBe(before);
  });

  it('on the event streams: a wrong Authorization header wins over it, and it is taken once only', async () => {
    expect((await send('GET', `/jobs/${jobId}/events?access_token=${FULL}`, [['authorization', 'Bearer wrong']])).status).toBe(401);
    expect((await send('GET', `/jobs/${jobId}/events?access_token=${FULL}`, [['authorization', 'Basic abc']])).status).toBe(401);
    expect((await send('GET', `/jobs/${jobId}/events?access_token=${FULL}&access_token=${FULL}`)).status).toBe(401);
    expect((await send('GET', `/jobs/${jobId}/events?access_token=${FULL.toUpperCase()}`)).status).toBe(401);
    expect((await send('GET', `/jobs/${jobId}/events?access_token=${FULL.slice(0, -1)}`)).status).toBe(401);
    // The right one opens the stream (HEAD: the head of it, without holding it open).
    expect((await send('HEAD', `/jobs/${jobId}/events?access_token=${READ}`)).status).toBe(200);
    // The same rules on the queue's change stream.
    expect((await send('GET', `/events?access_token=${FULL}`, [['authorization', 'Bearer wrong']])).status).toBe(401);
    expect((await send('GET', `/events?access_token=${FULL}&access_token=${FULL}`)).status).toBe(401);
    expect((await send('GET', `/events?access_token=${FULL.slice(0, -1)}`)).status).toBe(401);
    for (const method of ['POST', 'DELETE', 'PUT']) expect((await send(method, `/events?access_token=${FULL}`, withBody(method, []), jsonBody(method))).status, method).toBe(401);
    expect((await send('GET', `/events?access_token=${READ}`)).status).toBe(200);
  });
});

describe('every answer to an attack', () => {
  it('never echoes a token, in its headers or its body', () => {
    expect(answered.length).toBeGreaterThan(500);
    for (const text of answered) {
      expect(text.includes(FULL) || text.includes(READ), text.slice(0, 500)).toBe(false);
    }
  });
});
