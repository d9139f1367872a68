import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/index.js';
import { call, snapshot, startApi, type TestApi } from './helpers.js';
import { openEvents } from './sse-client.js';

const FULL = 'full-token-0123456789';
const READ = 'read-token-9876543210';

describe('without tokens', () => {
  it('lets every request through', async () => {
    const api = await startApi();
    try {
      expect((await call(api.base, 'GET', '/jobs')).status).toBe(200);
      expect((await call(api.base, 'POST', '/jobs', { body: { type: 'echo' } })).status).toBe(201);
      // A token sent anyway is ignored.
      expect((await call(api.base, 'GET', '/stats', { token: 'whatever' })).status).toBe(200);
    } finally {
      await api.close();
    }
  });
});

describe('with HOTQ_API_TOKEN and HOTQ_API_READ_TOKEN', () => {
  let api: TestApi;
  let job: { id: string };
  beforeAll(async () => {
    api = await startApi({ apiToken: FULL, readToken: READ });
    job = (await call(api.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 }, token: FULL })).body;
  });
  afterAll(async () => {
    await api.close();
  });

  const guarded: Array<[string, string]> = [
    ['GET', '/jobs'], ['GET', '/jobs/ID'], ['GET', '/jobs/ID/result'], ['GET', '/stats'], ['GET', '/workers'],
    ['GET', '/metrics'], ['GET', '/openapi.json'], ['POST', '/jobs'], ['POST', '/jobs/batch'], ['DELETE', '/jobs/ID'],
    ['POST', '/jobs/ID/retry'], ['GET', '/jobs/ID/events'], ['GET', '/no/such/route'], ['PUT', '/jobs'],
    ['POST', '/jobs/retry'], ['POST', '/jobs/cancel'], ['POST', '/jobs/delete'], ['POST', '/queue/pause'], ['POST', '/queue/resume'],
  ];

  it.each(guarded)('%s %s needs a token: 401 with WWW-Authenticate', async (method, path) => {
    const url = path.replace('ID', job.id);
    const none = await call(api.base, method, url);
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="hotq"');
    const wrong = await call(api.base, method, url, { token: 'not-it' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('invalid_token');
    for (const header of ['Basic Zm9vOmJhcg==', 'Bearer', `bearer ${FULL.slice(0, -1)}`, FULL]) {
      expect((await call(api.base, method, url, { headers: { authorization: header } })).status, header).toBe(401);
    }
  });

  it('lets the probes and the dashboard files (no data in them) through without a token', async () => {
    expect((await call(api.base, 'GET', '/healthz')).status).toBe(200);
    expect((await call(api.base, 'GET', '/readyz')).status).toBe(200);
    for (const path of ['/', '/ui/app.js', '/ui/app.css']) expect((await call(api.base, 'GET', path)).status, path).toBe(200);
    // Anything else under /ui/ is not a file of the page: refused, and still only after the token check.
    expect((await call(api.base, 'GET', '/ui/other.js')).status).toBe(400);
  });

  it('lets the full token do everything', async () => {
    expect((await call(api.base, 'GET', `/jobs/${job.id}`, { token: FULL })).status).toBe(200);
    expect((await call(api.base, 'GET', '/jobs', { headers: { authorization: `bearer   ${FULL}` } })).status).toBe(200);
    const created = await call(api.base, 'POST', '/jobs', { body: { type: 'echo' }, token: FULL });
    expect(created.status).toBe(201);
    expect((await call(api.base, 'DELETE', `/jobs/${created.body.id}`, { token: FULL })).status).toBe(200);
    expect((await call(api.base, 'POST', `/jobs/${created.body.id}/retry`, { token: FULL })).status).toBe(200);
    // The operators' routes.
    expect((await call(api.base, 'POST', '/jobs/retry', { body: { status: 'failed' }, token: FULL })).body).toMatchObject({ matched: 0, dryRun: false });
    expect((await call(api.base, 'POST', '/jobs/cancel', { body: { type: 'nothing-of-this-type' }, token: FULL })).status).toBe(200);
    expect((await call(api.base, 'POST', '/jobs/delete', { body: { status: 'succeeded', dryRun: true }, token: FULL })).status).toBe(200);
    expect((await call(api.base, 'POST', '/queue/pause', { token: FULL })).body).toEqual({ paused: true });
    expect((await call(api.base, 'POST', '/queue/resume', { token: FULL })).body).toEqual({ paused: false });
  });

  it('lets the read token read, and answers its writes 403 without writing', async () => {
    for (const path of ['/jobs', `/jobs/${job.id}`, '/stats', '/workers', '/metrics', '/openapi.json', '/']) {
      expect((await call(api.base, 'GET', path, { token: READ })).status, path).toBe(200);
    }
    const before = await snapshot(api.redis, api.keyBase);
    const writes = [
      ['POST', '/jobs'], ['POST', '/jobs/batch'], ['DELETE', `/jobs/${job.id}`], ['POST', `/jobs/${job.id}/retry`],
      ['POST', '/jobs/retry'], ['POST', '/jobs/cancel'], ['POST', '/jobs/delete'], ['POST', '/queue/pause'], ['POST', '/queue/resume'],
    ] as const;
    const bodies: Record<string, unknown> = { '/jobs/batch': { jobs: [{ type: 'echo' }] }, '/jobs/retry': { all: true }, '/jobs/cancel': { all: true }, '/jobs/delete': { all: true } };
    for (const [method, path] of writes) {
      const answer = await call(api.base, method, path, { body: bodies[path] ?? { type: 'echo' }, token: READ });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe('forbidden');
    }
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('checks the token before validating anything', async () => {
    const malformed = { raw: '{not json', headers: { 'content-type': 'application/json' } };
    expect((await call(api.base, 'POST', '/jobs', malformed)).status).toBe(401);
    expect((await call(api.base, 'POST', '/jobs', { ...malformed, headers: { ...malformed.headers, authorization: `Bearer ${READ}` } })).status).toBe(403);
    expect((await call(api.base, 'POST', '/jobs', { ...malformed, headers: { ...malformed.headers, authorization: `Bearer ${FULL}` } })).status).toBe(400);
    expect((await call(api.base, 'POST', '/jobs', { raw: 'x', headers: { 'content-type': 'text/plain' } })).status).toBe(401);
    const huge = { raw: 'x'.repeat(2 * 1024 * 1024), headers: { 'content-type': 'application/json' } };
    expect((await call(api.base, 'POST', '/jobs', huge)).status).toBe(401);
    expect((await call(api.base, 'GET', '/jobs/not-an-id')).status).toBe(401);
    expect((await call(api.base, 'GET', '/jobs?limit=0')).status).toBe(401);
    expect((await call(api.base, 'GET', '/jobs?limit=0', { token: READ })).status).toBe(400);
  });

  it('takes access_token in the query on the event stream only', async () => {
    const stream = await openEvents(`${api.base}/jobs/${job.id}/events?access_token=${READ}`);
    expect(stream.status).toBe(200);
    expect((await stream.next())?.data.id).toBe(job.id);
    stream.close();
    const full = await openEvents(`${api.base}/jobs/${job.id}/events?access_token=${FULL}`);
    expect(full.status).toBe(200);
    full.close();
    const wrong = await call(api.base, 'GET', `/jobs/${job.id}/events?access_token=nope`);
    expect(wrong.status).toBe(401);
    const header = await openEvents(`${api.base}/jobs/${job.id}/events`, { authorization: `Bearer ${READ}` });
    expect(header.status).toBe(200);
    header.close();
    for (const path of [`/jobs/${job.id}`, '/jobs', '/stats', `/jobs/${job.id}/result`]) {
      const answer = await call(api.base, 'GET', `${path}?access_token=${FULL}`);
      expect(answer.status, path).toBe(401);
    }
    const write = await call(api.base, 'POST', `/jobs?access_token=${FULL}`, { body: { type: 'echo' } });
    expect(write.status).toBe(401);
  });
});

describe('createApp token options', () => {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  it('refuses a read token without a full token, equal tokens and empty tokens', () => {
    expect(() => createApp({ redis, readToken: READ })).toThrow(/apiToken/);
    expect(() => createApp({ redis, apiToken: FULL, readToken: FULL })).toThrow(/differ/);
    expect(() => createApp({ redis, apiToken: '' })).toThrow(/non-empty/);
  });
});

describe('createApp options', () => {
  it('refuses bad settings with a message naming them, and opens nothing', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
    expect(() => createApp({ redis, bodyLimit: 'lots' })).toThrow(/bodyLimit/);
    expect(() => createApp({ redis, bodyLimit: 0 })).toThrow(/bodyLimit/);
    expect(() => createApp({ redis, keepAliveMs: 0 })).toThrow(/keepAliveMs/);
    expect(() => createApp({ redis, commandTimeoutMs: 1.5 })).toThrow(/commandTimeoutMs/);
    expect(() => createApp({ redis, queue: 'no spaces' })).toThrow(/queue/);
    expect(() => createApp({ redis, prefix: '{tag}' })).toThrow(/prefix/);
    expect(() => createApp({ redis: {} as Redis })).toThrow(/ioredis/);
    expect(redis.status).toBe('wait');
  });
});
