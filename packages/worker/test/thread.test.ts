import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { useChildProcessSuite, fixture, producer, runLog, spawnWorker, started, TERMINAL, until, type WorkerProcess } from './_helpers.js';

let redis: Redis;
let url: string;
const children: WorkerProcess[] = [];

useChildProcessSuite(children, (client, runUrl) => {
  redis = client;
  url = runUrl;
});

async function worker(queue: string, args: string[], runs?: { path: string }): Promise<WorkerProcess> {
  const child = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), ...args], runs ? { HOTQ_TEST_RUNLOG: runs.path } : {});
  children.push(child);
  await child.waitForLog(started);
  return child;
}

describe('isolation "thread"', () => {
  it('a CPU-bound handler running 3x its lease keeps the lease and completes once', async () => {
    const queue = uniqueName('thr');
    const runs = runLog();
    await worker(queue, ['--isolation', 'thread', '--lease-ms', '600'], runs);
    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'burn', params: { ms: 1_800 } });
    await until(() => runs.starts(id).length === 1, 'the job to start');
    // A rival that would take the job if the lease ever ran out.
    await worker(queue, ['--lease-ms', '600'], runs);
    const job = await jobs.waitFor(id, TERMINAL, 40_000);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { burned: 1_800, spins: true, isMainThread: false } });
    expect(runs.starts(id)).toHaveLength(1);
    await jobs.close();
  });

  it('without isolation the same handler starves its heartbeat: the lease is lost and its late completion refused', async () => {
    const queue = uniqueName('thr');
    const runs = runLog();
    const starving = await worker(queue, ['--lease-ms', '500'], runs);
    const jobs = producer(redis, queue);
    // Long enough for the rival below to start (and take the job) before the first attempt ends.
    const id = await jobs.submit({ type: 'burn', params: { ms: 6_000 } });
    await until(() => runs.starts(id).length === 1, 'the job to start');
    await worker(queue, ['--lease-ms', '500', '--isolation', 'thread'], runs);
    const job = await jobs.waitFor(id, TERMINAL, 40_000);
    // Run twice, recorded once: the second attempt's result; the first's completion is fenced out.
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(runs.starts(id)).toHaveLength(2);
    await starving.waitForLog((line) => /completion refused/.test(String(line.msg)));
    await jobs.close();
  });

  it('results, errors (message, code, non-retryable), bytes, progress and logs cross back intact', async () => {
    const queue = uniqueName('thr');
    const child = await worker(queue, ['--isolation', 'thread', '--concurrency', '2']);
    const jobs = producer(redis, queue);
    const where = await jobs.submit({ type: 'where' });
    const fatal = await jobs.submit({ type: 'fail-with-code', params: { message: 'no such account', code: 'no_account', nonRetryable: true }, maxAttempts: 3 });
    const retried = await jobs.submit({ type: 'fail-with-code', params: { message: 'flaky upstream', code: 'E_UPSTREAM' }, maxAttempts: 2 });
    const bytes = await jobs.submit({ type: 'bytes' });
    const report = await jobs.submit({ type: 'report' });
    const demo = await jobs.submit({ type: 'stats', params: { values: [1, 2] } });
    const invalid = await jobs.submit({ type: 'sleep', params: { ms: 'x' } });

    expect(await jobs.waitFor(where, TERMINAL)).toMatchObject({ status: 'succeeded' });
    expect(await jobs.store.getResult(where)).toMatchObject({ value: { isMainThread: false } });
    expect(await jobs.waitFor(fatal, TERMINAL)).toMatchObject({ status: 'failed', attempts: 1, error: { message: 'no such account', code: 'no_account' } });
    expect(await jobs.waitFor(retried, TERMINAL, 15_000)).toMatchObject({ status: 'failed', attempts: 2, error: { message: 'flaky upstream', code: 'E_UPSTREAM' } });
    await jobs.waitFor(bytes, TERMINAL);
    const result = await jobs.store.getResult(bytes);
    expect(result).toMatchObject({ kind: 'bytes', contentType: 'application/octet-stream' });
    expect([...((result as { data: Buffer }).data)]).toEqual([0, 1, 2, 255]);
    expect(await jobs.waitFor(report, TERMINAL)).toMatchObject({ status: 'succeeded', progress: 100 });
    expect(await jobs.store.getResult(report)).toEqual({ kind: 'json', value: { reported: true, attempt: 1 } });
    await child.waitForLog((line) => line.msg === 'half way' && line.job === report && line.step === 1);
    expect(await jobs.waitFor(demo, TERMINAL)).toMatchObject({ status: 'succeeded' });
    expect(await jobs.waitFor(invalid, TERMINAL)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'invalid_params' } });
    await jobs.close();
  });

  it('cancelling a CPU-bound job ends it at once; its thread is replaced and the next job runs', async () => {
    const queue = uniqueName('thr');
    const runs = runLog();
    const child = await worker(queue, ['--isolation', 'thread', '--lease-ms', '900'], runs);
    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'burn', params: { ms: 30_000 } });
    await until(() => runs.starts(id).length === 1, 'the job to start');
    expect((await jobs.queue.remove(id, { hook: 'cancelJob' })).outcome).toBe('cancel-requested');
    expect(await jobs.waitFor(id, TERMINAL, 3_000)).toMatchObject({ status: 'cancelled' });
    await child.waitForLog((line) => /terminating its thread/.test(String(line.msg)), 5_000);
    const next = await jobs.submit({ type: 'echo', params: { after: 'cancel' } });
    expect(await jobs.waitFor(next, TERMINAL, 5_000)).toMatchObject({ status: 'succeeded' });
    await jobs.close();
  });
});
