import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobStateError } from '../src/index.js';
import { connect, Fixture, sleep } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

describe('a job through its lifecycle', () => {
  it('is queued, runs, reports progress and succeeds', async () => {
    const f = new Fixture(redis);
    const { id, refusal } = await f.submit({ type: 'echo', params: { text: 'hi' }, maxAttempts: 5, timeoutMs: 1_000 });
    expect(refusal).toBeNull();
    const queued = await f.store.get(id);
    expect(queued).toMatchObject({
      id, type: 'echo', params: { text: 'hi' }, status: 'queued', attempts: 0, maxAttempts: 5, timeoutMs: 1_000,
      startedAt: null, finishedAt: null, progress: null, error: null, worker: null,
    });
    expect(Date.parse(queued!.createdAt)).toBeGreaterThan(Date.now() - 60_000);

    const token = await f.start(id, 1, 'w-a');
    expect(await f.store.get(id)).toMatchObject({ status: 'running', attempts: 1, worker: 'w-a' });
    expect(await f.store.progress(id, token, 40)).toBe(true);
    expect((await f.store.get(id))?.progress).toBe(40);
    expect(await f.store.progress(id, token, { step: 'parse', done: 3 })).toBe(true);
    expect((await f.store.get(id))?.progress).toEqual({ step: 'parse', done: 3 });

    await f.succeed(id, token, { echoed: 'hi' });
    const done = await f.store.get(id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, error: null });
    expect(Date.parse(done!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done!.startedAt!));
    expect(await f.store.getResult(id)).toEqual({ kind: 'json', value: { echoed: 'hi' } });
    expect(await f.store.counts()).toEqual({ waiting: 0, queued: 0, delayed: 0, running: 0, succeeded: 1, failed: 0, cancelled: 0 });
  });

  it('waits as delayed until promoted', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit({ type: 'echo', delayMs: 60_000 });
    expect((await f.store.get(id))?.status).toBe('delayed');
    await f.hooks.call('promote', id);
    expect((await f.store.get(id))?.status).toBe('queued');
  });

  it('retries after a failure: delayed with the error, then queued, then started again; success clears the error', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const first = await f.start(id);
    await f.hooks.call('retry', id, { token: first, attempt: 1, delayMs: 5_000, reason: 'boom', vars: f.store.failure({ message: 'boom', code: 'e_boom' }).vars });
    expect(await f.store.get(id)).toMatchObject({ status: 'delayed', attempts: 1, error: { message: 'boom', code: 'e_boom' } });
    await f.hooks.call('promote', id);
    const second = await f.start(id, 2);
    expect(await f.store.get(id)).toMatchObject({ status: 'running', attempts: 2, error: { message: 'boom', code: 'e_boom' } });
    await f.succeed(id, second, 7);
    expect(await f.store.get(id)).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
  });

  it('retries without a delay straight to queued', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const token = await f.start(id);
    await f.hooks.call('retry', id, { token, attempt: 1, delayMs: 0, reason: 'flaky' });
    expect(await f.store.get(id)).toMatchObject({ status: 'queued', error: { message: 'flaky' } });
  });

  it('fails for good when dead-lettered, with the worker error or the queue reason', async () => {
    const f = new Fixture(redis);
    const a = (await f.submit()).id;
    const b = (await f.submit()).id;
    const ta = await f.start(a);
    const tb = await f.start(b);
    await f.hooks.call('dead', a, { token: ta, attempt: 1, reason: 'failed', vars: f.store.failure({ message: 'no such type', code: 'unknown_type' }).vars });
    await f.hooks.call('dead', b, { token: tb, attempt: 3, reason: 'lease expired on the last attempt (3 of 3)' });
    expect(await f.store.get(a)).toMatchObject({ status: 'failed', error: { message: 'no such type', code: 'unknown_type' } });
    expect(await f.store.get(b)).toMatchObject({ status: 'failed', error: { message: 'lease expired on the last attempt (3 of 3)' } });
    expect((await f.store.get(b))?.finishedAt).not.toBeNull();
    await expect(f.store.getResult(a)).rejects.toMatchObject({ code: 'conflict', status: 'failed' });
  });

  it('goes back to queued when its lease expires (attempts kept) or is released (attempt given back)', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const first = await f.start(id);
    await f.hooks.call('expire', id, { token: first, attempt: 1, reason: 'lease expired' });
    expect(await f.store.get(id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(await f.store.progress(id, first, 10)).toBe(false);
    const second = await f.start(id, 2);
    await f.hooks.call('release', id, { token: second, attempt: 1 });
    expect(await f.store.get(id)).toMatchObject({ status: 'queued', attempts: 1 });
  });

  it('is cancelled while queued (cancelJob, also as remove) or while running (cancel, fenced)', async () => {
    const f = new Fixture(redis);
    const queued = (await f.submit()).id;
    const delayed = (await f.submit({ type: 'x', delayMs: 10_000 })).id;
    const running = (await f.submit()).id;
    expect((await f.hooks.call('cancelJob', queued)).refusal).toBeNull();
    expect((await f.hooks.call('remove', delayed)).refusal).toBeNull();
    const token = await f.start(running);
    expect((await f.hooks.call('cancelJob', running)).refusal).toBe('running');
    expect((await f.store.get(running))?.status).toBe('running');
    await f.hooks.call('cancel', running, { token: 'stale', vars: f.store.failure({ message: 'cancelled', code: 'cancelled' }).vars });
    expect((await f.store.get(running))?.status).toBe('running');
    await f.hooks.call('cancel', running, { token, vars: f.store.failure({ message: 'cancelled', code: 'cancelled' }).vars });
    expect(await f.store.get(queued)).toMatchObject({ status: 'cancelled', error: null });
    expect((await f.store.get(delayed))?.status).toBe('cancelled');
    expect(await f.store.get(running)).toMatchObject({ status: 'cancelled', error: { message: 'cancelled', code: 'cancelled' } });
    expect((await f.hooks.call('cancelJob', queued)).refusal).toBe('cancelled');
    expect(await f.store.counts()).toMatchObject({ cancelled: 3, queued: 0, delayed: 0, running: 0 });
  });

  it('a message without a record may be removed (cancelJob lets it go)', async () => {
    const f = new Fixture(redis);
    const key = `${f.store.keyBase}:job:01ARZ3NDEKTSV4RRFFQ69G5FAV`;
    await redis.hset(key, 'A', 0, 'M', 3);
    expect((await f.hooks.call('cancelJob', '01ARZ3NDEKTSV4RRFFQ69G5FAV')).refusal).toBeNull();
    // Only the queue's message, ended: no record, index or count was made for it.
    expect(await f.keys()).toEqual([key]);
    expect(await redis.hgetall(key)).toEqual({ A: '0', M: '3', T: '', E: '1' });
  });
});

describe('manual retry', () => {
  it('re-queues a failed job with attempts reset, its outcome forgotten and its keys kept again', async () => {
    const f = new Fixture(redis, { retentionMs: 60_000 });
    const { id } = await f.submit({ type: 'echo', params: { a: 1 }, maxAttempts: 2, timeoutMs: 500, idempotencyKey: 'k-1' });
    const token = await f.start(id);
    await f.store.progress(id, token, 50);
    await f.hooks.call('dead', id, { token, attempt: 2, reason: 'boom' });
    expect(await redis.pttl(f.store.keyBase + ':job:' + id)).toBeGreaterThan(0);

    const retry = await f.store.prepareRetry(id);
    expect(retry).toEqual({
      payload: { type: 'echo', params: { a: 1 }, timeoutMs: 500 },
      put: { id, maxAttempts: 2, vars: {}, hook: 'retryJob', priority: 0, scopes: ['type:echo'] },
    });
    expect((await f.hooks.call('retryJob', id, { attempt: 0, vars: retry!.put.vars, maxAttempts: retry!.put.maxAttempts })).refusal).toBeNull();
    expect(await f.store.get(id)).toMatchObject({
      status: 'queued', attempts: 0, maxAttempts: 2, error: null, finishedAt: null, startedAt: null, progress: null, worker: null,
    });
    for (const key of await f.keys()) {
      expect(await redis.pttl(key), key).toBe(-1);
    }
    expect(await redis.zcard(`${f.store.keyBase}:finished`)).toBe(0);
    expect(await f.store.counts()).toMatchObject({ queued: 1, failed: 0 });
    // The same idempotency key still names this job.
    expect((await f.submit({ type: 'echo', idempotencyKey: 'k-1' })).refusal).toBe(id);
  });

  it('re-queues a cancelled job and drops the result of nothing; refuses other statuses', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    await f.hooks.call('cancelJob', id);
    expect((await f.hooks.call('retryJob', id)).refusal).toBeNull();
    expect((await f.store.get(id))?.status).toBe('queued');
    await expect(f.store.prepareRetry(id)).rejects.toBeInstanceOf(JobStateError);
    await expect(f.store.prepareRetry(id)).rejects.toMatchObject({ code: 'conflict', status: 'queued', message: expect.stringMatching(/queued/) });
    // A message still in the queue is not put again: the queue answers `exists` before any hook.
    expect((await f.hooks.call('retryJob', id)).refusal).toBe('exists');
    const token = await f.start(id);
    await f.succeed(id, token);
    expect((await f.hooks.call('retryJob', id)).refusal).toBe('succeeded');
    expect((await f.hooks.call('retryJob', '01ARZ3NDEKTSV4RRFFQ69G5FAV')).refusal).toBe('missing');
    expect(await f.store.prepareRetry('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeNull();
  });
});

describe('illegal and stale transitions change nothing', () => {
  async function snapshot(f: Fixture): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const key of await f.keys()) {
      const type = await redis.type(key);
      out[key] = type === 'hash' ? await redis.hgetall(key)
        : type === 'zset' ? await redis.zrange(key, 0, '-1', 'WITHSCORES')
          : type === 'set' ? (await redis.smembers(key)).sort()
          : await redis.get(key);
    }
    return out;
  }

  it('refuses finishing a job that is not running, or with another token, and starting a finished one', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit();
    const before = await snapshot(f);
    for (const hook of ['ack', 'dead', 'cancel', 'retry', 'expire', 'release', 'promote']) {
      await f.hooks.call(hook, id, { token: 'tok-none', attempt: 1, vars: f.store.completion('x').vars });
    }
    expect(await snapshot(f)).toEqual(before);

    const token = await f.start(id);
    const running = await snapshot(f);
    for (const hook of ['ack', 'dead', 'cancel', 'retry', 'expire', 'release']) {
      await f.hooks.call(hook, id, { token: `${token}-stale`, attempt: 1, vars: f.store.completion('x').vars });
    }
    await f.hooks.call('reserve', id, { token: 'other', attempt: 2, consumer: 'w-2' });
    await f.hooks.call('promote', id);
    expect((await f.hooks.call('cancelJob', id)).refusal).toBe('running');
    expect((await f.hooks.call('retryJob', id)).refusal).toBe('exists');
    expect(await snapshot(f)).toEqual(running);

    await f.succeed(id, token, 'first');
    await sleep(2);
    const finished = await snapshot(f);
    await f.succeed(id, token, 'second');
    await f.hooks.call('dead', id, { token, attempt: 1, reason: 'late' });
    await f.hooks.call('reserve', id, { token: 'again', attempt: 2, consumer: 'w-3' });
    await f.hooks.call('cancelJob', id);
    expect(await snapshot(f)).toEqual(finished);
    expect(await f.store.getResult(id)).toEqual({ kind: 'json', value: 'first' });
  });
});
