import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageRefusedError, TaskQueue } from '@hotq/queue-core';
import { isJobId, type JobMessage } from '../src/index.js';
import { connect, Fixture } from './_support.js';

let redis: Redis;
let other: Redis;
beforeAll(() => {
  redis = connect();
  other = connect();
});
afterAll(() => {
  redis.disconnect();
  other.disconnect();
});

describe('prepareSubmission', () => {
  it('validates, writes nothing, and builds the queue put whose hook creates the record', async () => {
    const f = new Fixture(redis);
    const s = f.store.prepareSubmission({ type: 'wordcount', params: { text: 'a b' }, delayMs: 10, maxAttempts: 4, timeoutMs: 100, idempotencyKey: 'req-1' });
    expect(isJobId(s.id)).toBe(true);
    expect(s.payload).toEqual({ type: 'wordcount', params: { text: 'a b' }, timeoutMs: 100 });
    expect(s.put).toMatchObject({ id: s.id, delayMs: 10, maxAttempts: 4 });
    // The params travel in the payload only; the record's vars are the few small fields it adds.
    expect(s.put.vars).toMatchObject({ type: 'wordcount', timeoutMs: '100' });
    expect(s.put.vars).not.toHaveProperty('params');
    expect(s.put.vars.idem).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Object.values(s.put.vars).every((value) => typeof value === 'string')).toBe(true);
    expect(await f.keys()).toEqual([]);
  });

  it('applies the defaults: no params, no delay, 3 attempts, no timeout', () => {
    const f = new Fixture(redis);
    const s = f.store.prepareSubmission({ type: 'echo' });
    expect(s.payload).toEqual({ type: 'echo', params: {}, timeoutMs: null });
    expect(s.put).toMatchObject({ delayMs: 0, maxAttempts: 3 });
    expect(s.put.vars.timeoutMs).toBeUndefined();
    expect(s.put.vars.idem).toBeUndefined();
    expect(f.store.prepareSubmission({ type: 'echo', timeoutMs: null }).payload.timeoutMs).toBeNull();
  });

  it('makes unique ids that sort by creation time', () => {
    const f = new Fixture(redis);
    const ids = Array.from({ length: 200 }, () => f.store.prepareSubmission({ type: 'echo' }).id);
    expect(new Set(ids).size).toBe(200);
    expect([...ids].sort()).toEqual(ids);
  });
});

describe('the put hook', () => {
  it('creates the record in the message hash, its type index entry, a move count and nothing else', async () => {
    const f = new Fixture(redis);
    const { id } = await f.submit({ type: 'echo', params: { n: 1 } });
    const base = f.store.keyBase;
    expect(await f.keys()).toEqual([`${base}:job:${id}`, `${base}:moves`, `${base}:type:echo`, `${base}:types`].sort());
    expect(await redis.hgetall(`${base}:moves`)).toEqual({ '>queued': '1' });
    expect(await redis.smembers(`${base}:types`)).toEqual(['echo']);
    // The queue's fields (upper case) and the record's (lower case) side by side; the params are read from the payload.
    expect(await redis.hgetall(`${base}:job:${id}`)).toMatchObject({
      P: '{"type":"echo","params":{"n":1},"timeoutMs":null}', A: '0', M: '3', t: 'echo', s: 'queued',
    });
    expect(await redis.object('ENCODING', `${base}:job:${id}`)).toBe('listpack');
  });

  it('prepares the job exactly as it reads once the put is applied, so a producer need not read it back', async () => {
    const f = new Fixture(redis);
    for (const input of [{ type: 'echo', params: { n: 1, s: 'é' } }, { type: 'later', delayMs: 60_000, maxAttempts: 5, timeoutMs: 1_000 }]) {
      const prepared = f.store.prepareSubmission(input);
      // The queue stores the payload the job's params are read from, and the max attempts.
      const stored = { payload: JSON.stringify(prepared.payload), maxAttempts: prepared.put.maxAttempts };
      const ctx = prepared.put.delayMs > 0 ? { attempt: 0, delayMs: prepared.put.delayMs, vars: prepared.put.vars, ...stored } : { attempt: 0, vars: prepared.put.vars, ...stored };
      expect((await f.hooks.call('put', prepared.id, ctx)).refusal).toBeNull();
      expect(await f.store.get(prepared.id)).toEqual(prepared.job);
    }
  });

  it('refuses a put that was already applied (a resend after the job ran) with the job\'s own id', async () => {
    const f = new Fixture(redis);
    const prepared = f.store.prepareSubmission({ type: 'echo' });
    const ctx = { attempt: 0, vars: prepared.put.vars };
    expect((await f.hooks.call('put', prepared.id, ctx)).refusal).toBeNull();
    const token = await f.start(prepared.id);
    await f.succeed(prepared.id, token);
    expect((await f.hooks.call('put', prepared.id, ctx)).refusal).toBe(prepared.id);
    expect((await f.store.get(prepared.id))?.status).toBe('succeeded');
  });

  it('refuses vars that did not come from prepareSubmission, writing nothing', async () => {
    const f = new Fixture(redis);
    const good = f.store.prepareSubmission({ type: 'echo' });
    const bad: Record<string, string>[] = [
      {},
      { ...good.put.vars, type: 'Bad Type' },
      { ...good.put.vars, type: 'a'.repeat(65) },
      { ...good.put.vars, created: 'yesterday' },
      { ...good.put.vars, timeoutMs: 'soon' },
      { ...good.put.vars, idem: 'x}:y' },
    ];
    // queue-core calls check_put for every message of a put before it writes anything.
    const invalid = /invalid job submission/;
    for (const vars of bad) expect((await f.hooks.call('check_put', good.id, { vars })).refusal).toMatch(invalid);
    expect((await f.hooks.call('check_put', 'not-a-ulid', { vars: good.put.vars })).refusal).toMatch(invalid);
    expect((await f.hooks.call('check_put', good.id, { vars: good.put.vars })).refusal).toBeNull();
    expect(await f.keys()).toEqual([]);
  });
});

describe('idempotency keys', () => {
  it('answers a repeated key with the first job', async () => {
    const f = new Fixture(redis);
    const first = await f.submit({ type: 'echo', params: { n: 1 }, idempotencyKey: 'order-42' });
    const again = await f.submit({ type: 'echo', params: { n: 2 }, idempotencyKey: 'order-42' });
    const different = await f.submit({ type: 'echo', idempotencyKey: 'order-43' });
    expect(first.refusal).toBeNull();
    expect(again.refusal).toBe(first.id);
    expect(different.refusal).toBeNull();
    expect(await f.store.get(again.id)).toBeNull();
    expect((await f.store.counts()).queued).toBe(2);
  });

  it('lets exactly one of two racing submissions with the same key create a job', async () => {
    const f = new Fixture(redis);
    for (let round = 0; round < 25; round += 1) {
      const key = `race-${round}`;
      const a = f.store.prepareSubmission({ type: 'echo', idempotencyKey: key });
      const b = f.store.prepareSubmission({ type: 'echo', idempotencyKey: key });
      const [ra, rb] = await Promise.all([
        f.hooks.call('put', a.id, { vars: a.put.vars }, redis),
        f.hooks.call('put', b.id, { vars: b.put.vars }, other),
      ]);
      const winners = [ra.refusal, rb.refusal].filter((refusal) => refusal === null);
      expect(winners).toHaveLength(1);
      const winner = ra.refusal === null ? a.id : b.id;
      expect([ra.refusal, rb.refusal]).toContain(winner);
    }
    expect((await f.store.counts()).queued).toBe(25);
    expect((await f.store.list({ limit: 100 })).jobs).toHaveLength(25);
  });
});

describe('a batch of submissions through the queue', () => {
  it('is all or nothing: a tampered submission in the middle leaves no record and no queue entry', async () => {
    const f = new Fixture(redis);
    const queue = new TaskQueue<JobMessage>({ redis, name: f.queue, hooks: f.store.queueHooks() });
    const [first, second, third] = [1, 2, 3].map((n) => f.store.prepareSubmission({ type: 'echo', params: { n } }));
    const tampered = { ...second!.put, vars: { ...second!.put.vars, type: 'Not A Type' } };
    const error = await queue.putMany([
      { payload: first!.payload, ...first!.put },
      { payload: second!.payload, ...tampered },
      { payload: third!.payload, ...third!.put },
    ]).then(() => null, (thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(MessageRefusedError);
    expect(error).toMatchObject({ index: 1 });
    // Only the key layout, recorded by the queue's first call (it holds no job).
    expect(await f.keys()).toEqual([`${f.store.keyBase}:layout`]);
    expect(await f.store.counts()).toMatchObject({ queued: 0 });
  });
});
