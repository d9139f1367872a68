// Dependencies with real worker processes: a fan-in and a chain run in order, and the handler reads
// its dependencies' results (ctx.dependencies()) in the main thread and in a handler thread.
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { useChildProcessSuite, fixture, producer, spawnWorker, started, TERMINAL, type WorkerProcess } from './_helpers.js';

let redis: Redis;
let url: string;
const children: WorkerProcess[] = [];

useChildProcessSuite(children, (client, runUrl) => {
  redis = client;
  url = runUrl;
});

const ms = (iso: string | null): number => Date.parse(iso ?? '');

describe.each([['main thread', []], ['handler thread', ['--isolation', 'thread']]] as const)('dependencies, handlers in the %s', (_name, isolation) => {
  it('run a fan-in of 100 and a chain after it in order, each handler summing its dependencies\' results', async () => {
    const queue = uniqueName('deps');
    const jobs = producer(redis, queue);
    const leaves = await Promise.all(Array.from({ length: 100 }, async (_, n) => await jobs.submit({ type: 'sum', params: { n: n + 1 } })));
    const fanIn = await jobs.submit({ type: 'sum', params: { n: 0 }, dependsOn: leaves });
    const chain = [fanIn];
    for (let n = 0; n < 3; n += 1) chain.push(await jobs.submit({ type: 'sum', params: { n: 1 }, dependsOn: [chain.at(-1) as string] }));
    expect((await jobs.job(fanIn)).status).toBe('waiting');

    for (let n = 0; n < 2; n += 1) {
      const child = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--concurrency', '4', ...isolation]);
      children.push(child);
      await child.waitForLog(started);
    }
    const last = await jobs.waitFor(chain.at(-1) as string, TERMINAL, 30_000);
    expect(last.status).toBe('succeeded');
    // 1 + 2 + ... + 100 = 5050 at the fan-in, then one more per link of the chain.
    expect(await jobs.store.getResult(last.id)).toEqual({ kind: 'json', value: { total: 5053, notSucceeded: [], isMainThread: isolation.length === 0 } });

    // Nothing started before every one of its dependencies had finished.
    const fanInJob = await jobs.job(fanIn);
    for (const leaf of leaves) expect(ms(fanInJob.startedAt)).toBeGreaterThanOrEqual(ms((await jobs.job(leaf)).finishedAt));
    for (let n = 1; n < chain.length; n += 1) {
      expect(ms((await jobs.job(chain[n] as string)).startedAt)).toBeGreaterThanOrEqual(ms((await jobs.job(chain[n - 1] as string)).finishedAt));
    }
    await jobs.close();
  });
});

describe('dependencies that fail, with real worker processes', () => {
  it('fail the jobs waiting on a failed one with dependency_failed; a run-anyway job sees which failed', async () => {
    const queue = uniqueName('deps');
    const jobs = producer(redis, queue);
    const bad = await jobs.submit({ type: 'fail-with-code', params: { message: 'no', code: 'broken', nonRetryable: true } });
    const good = await jobs.submit({ type: 'sum', params: { n: 5 } });
    const strict = await jobs.submit({ type: 'sum', params: { n: 0 }, dependsOn: [bad, good] });
    const lenient = await jobs.submit({ type: 'sum', params: { n: 0 }, dependsOn: [bad, good], onDependencyFailure: 'run' });
    const child = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs')]);
    children.push(child);
    await child.waitForLog(started);

    expect(await jobs.waitFor(strict, TERMINAL)).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'dependency_failed', message: `dependency ${bad} failed` } });
    expect(await jobs.waitFor(lenient, TERMINAL)).toMatchObject({ status: 'succeeded' });
    expect(await jobs.store.getResult(lenient)).toEqual({ kind: 'json', value: { total: 5, notSucceeded: [[bad, 'failed', 'broken']], isMainThread: true } });
    await jobs.close();
  });
});
