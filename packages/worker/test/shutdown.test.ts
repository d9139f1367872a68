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

describe('hotq-worker shutdown', () => {
  it('SIGTERM under load: finishes what it can within the grace time, hands back the rest, exits 0; nothing is lost', async () => {
    const queue = uniqueName('term');
    const runs = runLog();
    const args = ['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--concurrency', '4'];
    const first = spawnWorker([...args, '--grace-ms', '300'], { HOTQ_TEST_RUNLOG: runs.path });
    children.push(first);
    await first.waitForLog(started);

    const jobs = producer(redis, queue);
    // Two slow jobs first (they cannot end within the grace time), then quick ones that can.
    const slow = await Promise.all(Array.from({ length: 2 }, () => jobs.submit({ type: 'nap', params: { ms: 3_000 } })));
    const quick = await Promise.all(Array.from({ length: 10 }, () => jobs.submit({ type: 'nap', params: { ms: 100 } })));
    await until(() => slow.every((id) => runs.starts(id).length === 1) && runs.starts().length >= 5, 'jobs to be running');
    const signalled = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(3_000);
    const handedBack = first.logs().find((line) => line.msg === 'handed jobs back to the queue');
    expect(handedBack).toMatchObject({ released: 2 });
    expect([...(handedBack?.jobs as string[])].sort()).toEqual([...slow].sort());
    expect((await jobs.queue.stats()).leased).toBe(0);
    // Every job is either done or waiting again, none stuck `running`.
    for (const id of [...quick, ...slow]) expect(['succeeded', 'queued']).toContain((await jobs.job(id)).status);
    for (const id of slow) expect(await jobs.job(id)).toMatchObject({ status: 'queued', attempts: 0 });

    const second = spawnWorker([...args, '--concurrency', '8'], { HOTQ_TEST_RUNLOG: runs.path });
    children.push(second);
    for (const id of [...quick, ...slow]) {
      const job = await jobs.waitFor(id, TERMINAL, 25_000);
      expect(job.status).toBe('succeeded');
      // A handed-back attempt does not count.
      expect(job.attempts).toBe(1);
    }
    await jobs.close();
  });

  it('a second signal exits at once', async () => {
    const queue = uniqueName('term2');
    const runs = runLog();
    const child = spawnWorker(['--redis-url', url, '--queue', queue, '--handlers', fixture('handlers.mjs'), '--grace-ms', '60000'], {
      HOTQ_TEST_RUNLOG: runs.path,
    });
    children.push(child);
    await child.waitForLog(started);
    const jobs = producer(redis, queue);
    const id = await jobs.submit({ type: 'burn', params: { ms: 200 } });
    await jobs.waitFor(id, TERMINAL);
    const long = await jobs.submit({ type: 'nap', params: { ms: 60_000 } });
    await until(() => runs.starts(long).length === 1, 'the long job to start');
    child.kill('SIGTERM');
    await child.waitForLog((line) => line.msg === 'worker stopping');
    const second = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.code).toBe(143);
    expect(Date.now() - second).toBeLessThan(1_000);
    // Its job is still leased; the lease will run out and the job come back.
    expect((await jobs.job(long)).status).toBe('running');
    await jobs.close();
  });
});
