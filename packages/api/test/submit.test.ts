import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job as JobSchema } from '../src/internal/schemas.js';
import { call, snapshot, startApi, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const post = (body: unknown, headers?: Record<string, string>) => call(api.base, 'POST', '/jobs', { body, ...(headers ? { headers } : {}) });

describe('POST /jobs', () => {
  it('creates a queued job: 201, Location, the job object without a result', async () => {
    const answer = await post({ type: 'echo', params: { text: 'hi' } });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(`/jobs/${answer.body.id}`);
    expect(JobSchema.parse(answer.body)).toBeTruthy();
    expect(answer.body).toMatchObject({
      type: 'echo', params: { text: 'hi' }, status: 'queued', attempts: 0, maxAttempts: 3, timeoutMs: null,
      priority: 0, startedAt: null, finishedAt: null, progress: null, error: null, worker: null,
    });
    expect(Object.keys(answer.body).sort()).toEqual(
      ['attempts', 'createdAt', 'error', 'finishedAt', 'id', 'maxAttempts', 'params', 'priority', 'progress', 'startedAt', 'status', 'tags', 'timeoutMs', 'type', 'worker'],
    );
    const again = await call(api.base, 'GET', answer.headers.get('location') as string);
    expect(again.body).toEqual(answer.body);
  });

  it('defaults params to {} and honours maxAttempts, timeoutMs and delayMs', async () => {
    const plain = await post({ type: 'echo' });
    expect(plain.body.params).toEqual({});
    const tuned = await post({ type: 'sleep', params: { ms: 1 }, maxAttempts: 5, timeoutMs: 1_000, delayMs: 60_000 });
    expect(tuned.status).toBe(201);
    expect(tuned.body).toMatchObject({ status: 'delayed', maxAttempts: 5, timeoutMs: 1_000 });
  });

  it('accepts a type no worker handles (a worker fails it later with unknown_type)', async () => {
    expect((await post({ type: 'no.such-type_9' })).status).toBe(201);
  });

  it('answers the same idempotencyKey with the first job, 200, and writes nothing', async () => {
    const first = await post({ type: 'echo', params: { n: 1 }, idempotencyKey: 'order-42' });
    expect(first.status).toBe(201);
    const before = await snapshot(api.redis, api.keyBase);
    const second = await post({ type: 'echo', params: { n: 2 }, idempotencyKey: 'order-42' });
    expect(second.status).toBe(200);
    expect(second.headers.get('location')).toBeNull();
    expect(second.body).toEqual(first.body);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('makes one job of racing submissions with the same idempotencyKey', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => post({ type: 'echo', idempotencyKey: 'race-1' })));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(11);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const list = await call(api.base, 'GET', '/jobs?limit=1000');
    expect(list.body.jobs.filter((job: { id: string }) => job.id === answers[0]?.body.id)).toHaveLength(1);
  });

  it('accepts application/*+json and a charset', async () => {
    expect((await post({ type: 'echo' }, { 'content-type': 'application/vnd.hotq+json' })).status).toBe(201);
    expect((await post({ type: 'echo' }, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });
});

describe('POST /jobs rejects bad input with a 4xx naming the field, and writes nothing', () => {
  const cases: Array<[string, unknown, string]> = [
    ['missing type', {}, 'type'],
    ['type not a string', { type: 7 }, 'type'],
    ['type with capitals', { type: 'Echo' }, 'type'],
    ['type too long', { type: 'a'.repeat(65) }, 'type'],
    ['type with a space', { type: 'e cho' }, 'type'],
    ['params an array', { type: 'echo', params: [1] }, 'params'],
    ['params a string', { type: 'echo', params: 'x' }, 'params'],
    ['params null', { type: 'echo', params: null }, 'params'],
    ['delayMs negative', { type: 'echo', delayMs: -1 }, 'delayMs'],
    ['delayMs fractional', { type: 'echo', delayMs: 1.5 }, 'delayMs'],
    ['delayMs a string', { type: 'echo', delayMs: '10' }, 'delayMs'],
    ['delayMs over a year', { type: 'echo', delayMs: 366 * 86_400_000 }, 'delayMs'],
    ['maxAttempts 0', { type: 'echo', maxAttempts: 0 }, 'maxAttempts'],
    ['maxAttempts 101', { type: 'echo', maxAttempts: 101 }, 'maxAttempts'],
    ['timeoutMs 0', { type: 'echo', timeoutMs: 0 }, 'timeoutMs'],
    ['timeoutMs over a day', { type: 'echo', timeoutMs: 86_400_001 }, 'timeoutMs'],
    ['idempotencyKey empty', { type: 'echo', idempotencyKey: '' }, 'idempotencyKey'],
    ['idempotencyKey too long', { type: 'echo', idempotencyKey: 'k'.repeat(201) }, 'idempotencyKey'],
    ['idempotencyKey not ASCII', { type: 'echo', idempotencyKey: 'clé' }, 'idempotencyKey'],
    ['unknown field', { type: 'echo', urgency: 1 }, 'urgency'],
    ['__proto__ field', JSON.parse('{"type":"echo","__proto__":{"polluted":1}}'), '__proto__'],
    ['an array body', [{ type: 'echo' }], 'body'],
    ['a string body', 'echo', 'body'],
    ['a null body', null, 'body'],
  ];
  it.each(cases)('%s -> 400 naming %s', async (_name, body, field) => {
    const before = await snapshot(api.redis, api.keyBase);
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_request');
    expect(answer.body.error.message).toContain(field);
    expect(answer.body.error.details.fields[0].field).toContain(field);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('params over the store limit -> 400 naming params', async () => {
    const answer = await post({ type: 'echo', params: { blob: 'x'.repeat(300 * 1024) } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toMatch(/^params/);
  });

  it('params nested deeper than 100 levels -> 400 saying so, whatever the depth', async () => {
    for (const depth of [101, 5_000]) {
      const raw = `{"type":"echo","params":${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}}`;
      const answer = await call(api.base, 'POST', '/jobs', { raw, headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toBe('params: must not nest objects and arrays more than 100 levels deep');
    }
  });

  it('malformed JSON -> 400', async () => {
    const answer = await call(api.base, 'POST', '/jobs', { raw: '{"type": "echo",', headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'invalid_request', message: 'body: must be valid JSON' });
  });

  it('no body -> 400 body required', async () => {
    const answer = await call(api.base, 'POST', '/jobs', { headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('body');
  });

  it('not JSON -> 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await call(api.base, 'POST', '/jobs', { raw: 'type=echo', headers: { 'content-type': type } });
      expect(answer.status).toBe(415);
      expect(answer.body.error.code).toBe('unsupported_media_type');
    }
    const untyped = await fetch(`${api.base}/jobs`, { method: 'POST', body: new Uint8Array(Buffer.from('{"type":"echo"}')) });
    expect(untyped.status).toBe(415);
  });

  it('an unsupported charset or encoding -> 415', async () => {
    const charset = await call(api.base, 'POST', '/jobs', { raw: '{"type":"echo"}', headers: { 'content-type': 'application/json; charset=latin-9000' } });
    expect(charset.status).toBe(415);
    const encoding = await call(api.base, 'POST', '/jobs', { raw: '{"type":"echo"}', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd-ish' } });
    expect(encoding.status).toBe(415);
  });

  it('a body over the limit -> 413, with or without Content-Length', async () => {
    const before = await snapshot(api.redis, api.keyBase);
    const big = JSON.stringify({ type: 'echo', params: { blob: 'x'.repeat(1024 * 1024) } });
    const answer = await call(api.base, 'POST', '/jobs', { raw: big, headers: { 'content-type': 'application/json' } });
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
    const chunked = await fetch(`${api.base}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({ start(controller) { controller.enqueue(Buffer.from(big)); controller.close(); } }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('a query string on POST /jobs -> 400', async () => {
    const answer = await call(api.base, 'POST', '/jobs?debug=1', { body: { type: 'echo' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('debug');
  });
});

describe('bodyLimit', () => {
  it('is configurable', async () => {
    const small = await startApi({ bodyLimit: 64 });
    try {
      const answer = await call(small.base, 'POST', '/jobs', { body: { type: 'echo', params: { text: 'x'.repeat(100) } } });
      expect(answer.status).toBe(413);
      expect((await call(small.base, 'POST', '/jobs', { body: { type: 'echo' } })).status).toBe(201);
    } finally {
      await small.close();
    }
  });
});
