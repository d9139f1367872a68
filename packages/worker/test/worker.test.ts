import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { createWorker, NonRetryableError, WorkerError, type Handlers, type Worker, type WorkerOptions } from '../src/index.js';
import { connect, memoryLogger, producer, sleep, TERMINAL, until, type Producer } from './_helpers.js';

let redis: Redis;
const workers: Worker[] = [];
const producers: Producer[] = [];

beforeAll(() => {
  redis = connect(inject('redisUrl'));
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop({ graceMs: 0 })));
  await Promise.all(producers.splice(0).map((p) => p.close()));
});
afterAll(() => {
  redis.disconnect();
});

/** A started worker on a fresh queue, and the producer side of that queue. */
async function setup(options: Partial<WorkerOptions> = {}): Promise<{ worker: Worker; jobs: Producer; lines: Array<Record<string, unknown>> }> {
  const queue = uniqueName('w');
  const { logger, lines } = memoryLogger();
  const worker = createWorker({ redis, queue, logger, backoff: { baseMs: 50, maxMs: 1_000 }, ...options });
  workers.push(worker);
  const jobs = producer(redis, queue);
  producers.push(jobs);
  await worker.start();
  return { worker, jobs, lines };
}

describe('createWorker', () => {
  it('checks its options at once, before touching Redis', () => {
    expect(() => createWorker({ redis, concurrency: 0 })).toThrow(WorkerError);
    expect(() => createWorker({ redis, concurrency: 0 })).toThrow(/options\.concurrency must be an integer from 1 to 1000 \(received 0\)/);
    expect(() => createWorker({ redis, leaseMs: 1_000, heartbeatMs: 1_000 })).toThrow(/options\.heartbeatMs/);
    expect(() => createWorker({ redis, queue: 'no spaces' })).toThrow(/options\.queue/);
    expect(() => createWorker({})).toThrow(/exactly one of options\.redis/);
    expect(() => createWorker({ redisUrl: 'http://x' })).toThrow(/options\.redisUrl/);
    expect(() => createWorker({ redis, isolation: 'fork' as 'none' })).toThrow(/options\.isolation/);
    expect(() => createWorker({ redis, handlers: { 'Bad Type': () => 1 } })).toThrow(/"Bad Type" is not a job type name/);
    expect(() => createWorker({ redis, handlers: { ok: 'nope' as unknown as Handlers[string] } })).toThrow(/must be a function/);
    expect(() => createWorker({ redis, isolation: 'thread', handlers: { ok: () => 1 } })).toThrow(/handlersModule/);
  });

  it('runs the demo types and records their results', async () => {
    const { jobs, worker } = await setup({ concurrency: 4 });
    expect(worker.types).toEqual(['echo', 'fail', 'sleep', 'stats', 'wordcount']);
    const echo = await jobs.submit({ type: 'echo', params: { hello: 'world' } });
    const nap = await jobs.submit({ type: 'sleep', params: { ms: 20 } });
    const words = await jobs.submit({ type: 'wordcount', params: { text: 'a b a' } });
    const numbers = await jobs.submit({ type: 'stats', params: { values: [1, 2, 3, 4] } });
    for (const id of [echo, nap, words, numbers]) {
      const job = await jobs.waitFor(id, TERMINAL);
      expect(job).toMatchObject({ status: 'succeeded', attempts: 1, worker: worker.id, error: null });
      expect(job.startedAt).not.toBeNull();
      expect(job.finishedAt).not.toBeNull();
    }
    expect(await jobs.store.getResult(echo)).toEqual({ kind: 'json', value: { hello: 'world' } });
    expect(await jobs.store.getResult(nap)).toEqual({ kind: 'json', value: { slept: 20 } });
    expect(await jobs.store.getResult(words)).toEqual({ kind: 'json', value: { words: 3, unique: 2, top: [['a', 2], ['b', 1]] } });
    expect(await jobs.store.getResult(numbers)).toMatchObject({ kind: 'json', value: { count: 4, mean: 2.5, median: 2.5, min: 1, max: 4 } });
  });

  it('runs at most `concurrency` handlers at once', async () => {
    let active = 0;
    let peak = 0;
    const handlers: Handlers = {
      busy: async () => {
        active += 1;
        peak = Math.max(peak, active);
        await sleep(60);
        active -= 1;
        return { ok: true };
      },
    };
    const { jobs } = await setup({ concurrency: 3, handlers });
    const ids = await Promise.all(Array.from({ length: 12 }, () => jobs.submit({ type: 'busy' })));
    for (const id of ids) expect((await jobs.waitFor(id, TERMINAL)).status).toBe('succeeded');
    expect(peak).toBe(3);
  });

  it('keeps the lease of a handler that runs three times longer than it, and completes the job once', async () => {
    let runs = 0;
    const handlers: Handlers = {
      long: async () => {
        runs += 1;
        await sleep(1_500);
        return { done: true };
      },
    };
    const { jobs } = await setup({ leaseMs: 500, handlers });
    // A second worker on the same queue would take the job if the lease ever ran out.
    const rival = createWorker({ redis, queue: jobs.queue.name, handlers, logger: memoryLogger().logger, leaseMs: 500 });
    workers.push(rival);
    const id = await jobs.submit({ type: 'long' });
    await until(async () => (await jobs.job(id)).status === 'running', 'the job to start');
    await rival.start();
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(runs).toBe(1);
  });

  it('retries a failing job with exponential backoff, then succeeds', async () => {
    const starts: number[] = [];
    const handlers: Handlers = {
      flaky: (job) => {
        starts.push(Date.now());
        if (job.attempt < 3) throw Object.assign(new Error(`attempt ${job.attempt} failed`), { code: 'flaky' });
        return { attempt: job.attempt };
      },
    };
    const { jobs } = await setup({ handlers, backoff: { baseMs: 200, maxMs: 10_000 } });
    const id = await jobs.submit({ type: 'flaky', maxAttempts: 3 });
    await until(async () => (await jobs.job(id)).status === 'delayed', 'the first retry to be scheduled');
    expect((await jobs.job(id)).error).toEqual({ message: 'attempt 1 failed', code: 'flaky' });
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { attempt: 3 } });
    // Nominal delays 200 then 400 ms, at least half of each (equal jitter).
    const [first, second, third] = starts as [number, number, number];
    expect(second - first).toBeGreaterThanOrEqual(100 - 10);
    expect(third - second).toBeGreaterThanOrEqual(200 - 10);
  });

  it('fails a job for good after maxAttempts, with the last error', async () => {
    const { jobs } = await setup();
    const id = await jobs.submit({ type: 'fail', params: { message: 'always broken' }, maxAttempts: 2 });
    const started = Date.now();
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'always broken' } });
    // The retry is taken when due (backoff 25-50 ms here), not at the end of an idle wait.
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails at once on a NonRetryableError, keeping its code', async () => {
    let runs = 0;
    const handlers: Handlers = {
      strict: () => {
        runs += 1;
        throw new NonRetryableError('customer 7 does not exist', { code: 'no_customer' });
      },
    };
    const { jobs } = await setup({ handlers });
    const id = await jobs.submit({ type: 'strict', maxAttempts: 5 });
    expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({
      status: 'failed', attempts: 1, error: { message: 'customer 7 does not exist', code: 'no_customer' },
    });
    expect(runs).toBe(1);
  });

  it('fails demo jobs with bad params at once (invalid_params)', async () => {
    const { jobs } = await setup();
    const id = await jobs.submit({ type: 'sleep', params: { ms: 'soon' }, maxAttempts: 3 });
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'invalid_params' } });
    expect(job.error?.message).toMatch(/params\.ms must be an integer/);
  });

  it('aborts a handler at its timeoutMs and retries, then fails with code timeout', async () => {
    const reasons: unknown[] = [];
    const handlers: Handlers = {
      stuck: async (_job, ctx) => {
        await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      },
      watch: async (_job, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reasons.push(ctx.signal.reason);
      },
    };
    const { jobs } = await setup({ handlers });
    const started = Date.now();
    const id = await jobs.submit({ type: 'stuck', timeoutMs: 150, maxAttempts: 2 });
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'timeout' } });
    expect(job.error?.message).toMatch(/timed out after 150 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);

    const watched = await jobs.submit({ type: 'watch', timeoutMs: 50, maxAttempts: 1 });
    await jobs.waitFor(watched, TERMINAL);
    await until(() => reasons.length > 0, 'the handler to see its signal abort');
    expect(reasons[0]).toMatchObject({ name: 'AbortError', code: 'timeout' });
  });

  it('fails a job of a type it does not serve at once, with code unknown_type', async () => {
    const { jobs, worker } = await setup();
    const id = await jobs.submit({ type: 'no-such-type', maxAttempts: 3 });
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, worker: worker.id, error: { code: 'unknown_type' } });
    expect(job.error?.message).toContain('"no-such-type"');
  });

  it('cancels a running job: its signal aborts and it ends cancelled', async () => {
    let seen: unknown;
    const handlers: Handlers = {
      patient: async (_job, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        seen = ctx.signal.reason;
        return { ignored: true };
      },
    };
    const { jobs, worker } = await setup({ handlers, leaseMs: 3_000, heartbeatMs: 100 });
    const id = await jobs.submit({ type: 'patient' });
    await until(async () => (await jobs.job(id)).status === 'running', 'the job to start');
    // The record says running from the moment the job is leased, a moment before the worker has it.
    await until(() => worker.running().includes(id), 'the worker to hold the job');
    expect(worker.running()).toEqual([id]);
    // As the API does it: a running job cannot be removed, so it is flagged for its worker.
    expect((await jobs.queue.remove(id, { hook: 'cancelJob' })).outcome).toBe('cancel-requested');
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'cancelled' });
    expect(seen).toMatchObject({ code: 'cancelled' });
    await expect(jobs.store.getResult(id)).rejects.toMatchObject({ code: 'conflict' });
    expect(worker.running()).toEqual([]);
  });

  it('records progress, and passes the attempt and a logger to the handler', async () => {
    let attempt = 0;
    const handlers: Handlers = {
      steps: async (_job, ctx) => {
        attempt = ctx.attempt;
        ctx.log.info({ step: 1 }, 'step one');
        await ctx.progress(40);
        await ctx.progress({ stage: 'two', done: 2 });
        await expect(ctx.progress(101)).rejects.toThrow(/0 to 100/);
        return 'ok';
      },
    };
    const { jobs, lines } = await setup({ handlers });
    const id = await jobs.submit({ type: 'steps' });
    const job = await jobs.waitFor(id, TERMINAL);
    expect(job).toMatchObject({ status: 'succeeded', progress: { stage: 'two', done: 2 } });
    expect(attempt).toBe(1);
    expect(lines.find((line) => line.msg === 'step one')).toMatchObject({ job: id, type: 'steps', attempt: 1, step: 1 });
  });

  it('lets a handler destructure its context', async () => {
    const handlers: Handlers = {
      parts: async (_job, { signal, progress, log, attempt }) => {
        await progress(50);
        log.info('half way');
        return { aborted: signal.aborted, attempt };
      },
    };
    const { jobs, lines } = await setup({ handlers });
    const id = await jobs.submit({ type: 'parts' });
    expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded', progress: 50 });
    expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { aborted: false, attempt: 1 } });
    expect(lines.find((line) => line.msg === 'half way')).toMatchObject({ job: id, type: 'parts', attempt: 1 });
  });

  it('lets a handler spread its context into a plain object that still works', async () => {
    const handlers: Handlers = {
      spread: async (_job, ctx) => {
        const copy = { ...ctx, extra: true };
        await copy.progress(25);
        return { keys: Object.keys(copy).sort(), aborted: copy.signal.aborted, attempt: copy.attempt };
      },
    };
    const { jobs } = await setup({ handlers });
    const id = await jobs.submit({ type: 'spread' });
    expect(await jobs.waitFor(id, TERMINAL)).toMatchObject({ status: 'succeeded', progress: 25 });
    expect(await jobs.store.getResult(id)).toEqual({
      kind: 'json', value: { keys: ['attempt', 'dependencies', 'extra', 'log', 'progress', 'signal'], aborted: false, attempt: 1 },
    });
  });

  it('takes jobs that were submitted while it waited, without delay', async () => {
    const { jobs } = await setup();
    await sleep(300); // the worker is now blocked waiting for work
    const submitted = Date.now();
    const id = await jobs.submit({ type: 'echo', params: {} });
    await jobs.waitFor(id, TERMINAL);
    expect(Date.now() - submitted).toBeLessThan(500);
  });

  it('records a job that finishes while the worker waits for more work at once', async () => {
    const handlers: Handlers = {
      pause: async () => {
        await sleep(300);
        return 'done';
      },
    };
    const { jobs } = await setup({ handlers, concurrency: 2 });
    const id = await jobs.submit({ type: 'pause' });
    // With one slot free and nothing else queued, the worker is blocked waiting for work when the
    // handler ends: its ack must not wait for that wait to end.
    await until(async () => (await jobs.job(id)).status === 'running', 'the job to start');
    const startedAt = Date.now();
    await jobs.waitFor(id, ['succeeded']);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
  });

  it('drains a backlog without ever holding more than `concurrency` leases, and without a warning', async () => {
    const queue = uniqueName('w');
    const jobs = producer(redis, queue);
    producers.push(jobs);
    const total = 300;
    const submissions = Array.from({ length: total }, (_, n) => jobs.store.prepareSubmission({ type: 'quick', params: { wait: n % 2 === 0 } }));
    await jobs.queue.putMany(submissions.map((submission) => ({ payload: submission.payload, ...submission.put })));
    const { logger, lines } = memoryLogger();
    // An odd concurrency: two calls asking for half of it each (rounded up) would be one too many.
    const handlers: Handlers = { quick: async (job) => (job.params.wait ? sleep(1) : null) };
    const worker = createWorker({ redis, queue, logger, concurrency: 3, handlers });
    workers.push(worker);
    await worker.start();
    // Each look is one consistent view between two scripts: leased = running + finished but not yet acked.
    let peak = 0;
    await until(async () => {
      const { leased } = await jobs.queue.stats();
      peak = Math.max(peak, leased);
      return (await jobs.store.counts()).succeeded === total;
    }, 'the backlog to drain');
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3);
    expect((await jobs.queue.stats()).leased).toBe(0);
    expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
  });

  it('an ack that rides on a wait for work is written at once, and its lease is not renewed meanwhile', async () => {
    // At concurrency 4 an idle worker asks for 2 jobs and waits. One job comes: the queue looks empty,
    // so the ack of that job rides on the next call, which waits for work (up to 2 s). A heartbeat
    // renewing that lease meanwhile would be refused and taken for a lost lease.
    const { jobs, worker, lines } = await setup({ concurrency: 4, leaseMs: 1_000, heartbeatMs: 50, handlers: { quick: () => 'done' } });
    await sleep(100);
    const id = await jobs.submit({ type: 'quick' });
    const startedAt = Date.now();
    await jobs.waitFor(id, ['succeeded']);
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await sleep(500);
    expect(worker.running()).toEqual([]);
    expect(lines.filter((line) => Number(line.level) >= 40)).toEqual([]);
    expect(await jobs.job(id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('stop() lets running jobs finish within the grace time, then hands the rest back', async () => {
    const handlers: Handlers = {
      quick: async () => {
        await sleep(100);
        return 'quick';
      },
      slow: async (_job, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return 'never recorded';
      },
    };
    const { jobs, worker } = await setup({ handlers, concurrency: 2 });
    const quick = await jobs.submit({ type: 'quick' });
    const slow = await jobs.submit({ type: 'slow' });
    await until(() => worker.running().length === 2, 'both jobs to start');
    await worker.stop({ graceMs: 400 });
    expect(worker.state).toBe('stopped');
    expect((await jobs.job(quick)).status).toBe('succeeded');
    // Handed back: queued again, its attempt not counted.
    expect(await jobs.job(slow)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await jobs.queue.stats()).leased).toBe(0);
  });
});
