import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { createWorker, type Handlers } from '../src/index.js';
import { useChildProcessSuite, fixture, memoryLogger, producer, runLog, spawnWorker, started, TERMINAL, until, type WorkerProcess } from './_helpers.js';

let redis: Redis;
let url: string;
const children: WorkerProcess[] = [];

useChildProcessSuite(children, (client, runUrl) => {
  redis = client;
  url = runUrl;
});

/** A worker process on `queue` with the test handlers and a 1 s lease, logging its job starts to `runs`. */
function spawnCrashWorker(queue: string, runs: ReturnType<typeof runLog>): WorkerProcess {
  const worker = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--lease-ms', '1000'], { HOTQ_TEST_RUNLOG: runs.path });
  children.push(worker);
  return worker;
}

describe('a worker killed mid-job', () => {
  it('kill -9: another worker finishes the job once its lease runs out (attempts 2, succeeded)', async () => {
    const queue = uniqueName('crash');
    const runs = runLog();
    const first = spawnCrashWorker(queue, runs);
    await first.waitForLog(started);

    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'nap', params: { ms: 1_500 } });
    await until(() => runs.starts(id).length === 1, 'the first worker to start the job');
    expect((await jobs.job(id)).status).toBe('running');
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const second = spawnCrashWorker(queue, runs);
    const job = await jobs.waitFor(id, TERMINAL, 15_000);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { napped: 1_500 } });
    const starts = runs.starts(id);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatch(new RegExp(`^${id} 2 ${second.child.pid}/`));
    expect((await jobs.queue.stats()).leased).toBe(0);
    await jobs.close();
  });

  it('kill -9 while idle: a job handed to the dead worker as it waited runs elsewhere once the lease runs out', async () => {
    const queue = uniqueName('idle');
    const runs = runLog();
    const first = spawnCrashWorker(queue, runs);
    await first.waitForLog(started);
    // Kill it while it is registered as waiting for work with at least half a second of its wait left,
    // so that the submission below is handed to it rather than left for the next worker.
    const waiters = `{hotq:${queue}}:waiters`;
    await until(async () => {
      const [seconds, micros] = (await redis.time()).map(Number) as [number, number];
      const latest = await redis.zrevrange(waiters, 0, 0, 'WITHSCORES');
      return latest.length > 0 && Number(latest[1]) > seconds * 1000 + Math.floor(micros / 1000) + 500;
    }, 'the worker to wait for work');
    first.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'nap', params: { ms: 10 } });
    // Leased to the dead worker by the submission itself: nobody runs it until the lease runs out.
    expect(await jobs.job(id)).toMatchObject({ status: 'running', attempts: 1 });
    expect(runs.starts(id)).toEqual([]);

    const second = spawnCrashWorker(queue, runs);
    expect(await jobs.waitFor(id, TERMINAL, 15_000)).toMatchObject({ status: 'succeeded', attempts: 2 });
    const starts = runs.starts(id);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatch(new RegExp(`^${id} 2 ${second.child.pid}/`));
    expect(await jobs.queue.stats()).toMatchObject({ leased: 0, totals: { expired: 1, acked: 1 } });
    await jobs.close();
  });

  it('a worker whose lease was taken over aborts its handler at the next heartbeat and records nothing', async () => {
    const queue = uniqueName('lost');
    const runs = runLog();
    let reason: unknown;
    // In this process: a handler that, once the rival below is spawned, hogs the event loop past
    // its lease (so no heartbeat can run), then waits for its signal.
    const spawned: { rival?: WorkerProcess } = {};
    const handlers: Handlers = {
      nap: async (_job, ctx) => {
        await until(() => spawned.rival, 'the rival to be spawned');
        const end = Date.now() + 4_000;
        while (Date.now() < end) {
          // Starving the heartbeat on purpose.
        }
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reason = ctx.signal.reason;
        return 'must not be recorded';
      },
    };
    const { logger, lines } = memoryLogger();
    const presumedDead = createWorker({ redis, queue, handlers, leaseMs: 500, heartbeatMs: 100, logger });
    await presumedDead.start();
    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'nap', params: { ms: 300 } });
    await until(async () => (await jobs.job(id)).status === 'running', 'this process to start the job');
    // The rival starts while this process is stuck, and takes the job once the lease has run out.
    const rival = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--lease-ms', '500'], { HOTQ_TEST_RUNLOG: runs.path });
    spawned.rival = rival;
    children.push(rival);
    await until(() => reason !== undefined, 'the handler to be aborted', 15_000);
    expect(reason).toMatchObject({ code: 'lease_lost' });
    expect(lines.some((line) => /lost the lease of a running job/.test(String(line.msg)))).toBe(true);
    const job = await jobs.waitFor(id, TERMINAL, 10_000);
    expect(job).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await jobs.store.getResult(id)).toEqual({ kind: 'json', value: { napped: 300 } });
    expect(runs.starts(id)).toHaveLength(1);
    await presumedDead.stop({ graceMs: 0 });
    await jobs.close();
  });
});
