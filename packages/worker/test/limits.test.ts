// Rate limits and global concurrency across several real worker processes (docs/decisions/0015),
// checked from the job records' start and finish times, and a worker that waits for a limit
// instead of spinning.
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisServer, uniqueName } from '@hotq/test-harness';
import type { Job } from '@hotq/jobs-store';
import { producer, sleep, spawnWorker, started, TERMINAL, until, useChildProcessSuite, type Producer, type WorkerProcess } from './_helpers.js';

let redis: Redis;
let url: string;
const children: WorkerProcess[] = [];

useChildProcessSuite(children, (client, runUrl) => {
  redis = client;
  url = runUrl;
});

async function startWorkers(n: number, queue: string, args: string[] = [], redisUrl = url): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: n }, () => spawnWorker(['--redis-url', redisUrl, '--queue', queue, ...args]));
  children.push(...workers);
  await Promise.all(workers.map((worker) => worker.waitForLog(started)));
  return workers;
}

async function submitAll(p: Producer, inputs: Parameters<Producer['submit']>[0][]): Promise<string[]> {
  const prepared = inputs.map((input) => p.store.prepareSubmission(input));
  for (let index = 0; index < prepared.length; index += 500) {
    await p.queue.putMany(prepared.slice(index, index + 500).map((s) => ({ payload: s.payload, ...s.put })));
  }
  return prepared.map((s) => s.id);
}

async function finished(p: Producer, ids: readonly string[], timeoutMs: number): Promise<Job[]> {
  return await until(async () => {
    const jobs = await Promise.all(ids.map((id) => p.job(id)));
    return jobs.every((job) => TERMINAL.includes(job.status)) ? jobs : undefined;
  }, `${ids.length} jobs to finish`, timeoutMs);
}

const ms = (iso: string | null): number => Date.parse(iso ?? '');

describe('a rate limit across 8 worker processes', () => {
  it('starts 50 per second over 10 s within 5%, never more than 50 in any second, and holds up no other type', async () => {
    const queue = uniqueName('rate');
    const p = producer(redis, queue);
    await p.queue.setLimit('type:echo', { rate: { count: 50, perMs: 1_000 } });
    const limited = await submitAll(p, Array.from({ length: 650 }, (_, n) => ({ type: 'echo', params: { n } })));
    await startWorkers(8, queue, ['--concurrency', '4']);
    // Other work submitted behind the limited backlog runs at once.
    await sleep(500);
    const otherAt = Date.now();
    const others = await submitAll(p, Array.from({ length: 40 }, () => ({ type: 'stats', params: { values: [1, 2, 3] } })));
    const otherJobs = await finished(p, others, 10_000);
    expect(otherJobs.every((job) => job.status === 'succeeded')).toBe(true);
    expect(Date.now() - otherAt).toBeLessThan(3_000);

    // Wait until more than 10 s of starts can be measured.
    await sleep(11_500);
    const starts = (await Promise.all(limited.map((id) => p.job(id))))
      .filter((job) => job.startedAt !== null)
      .map((job) => ms(job.startedAt))
      .sort((a, b) => a - b);
    const first = starts[0]!;
    const inTenSeconds = starts.filter((t) => t < first + 10_000).length;
    expect(inTenSeconds).toBeGreaterThanOrEqual(475);
    expect(inTenSeconds).toBeLessThanOrEqual(525);
    // Every window of the limit's length, [t, t + 1000), starting at each start (the fullest start there).
    let most = 0;
    let end = 0;
    for (let begin = 0; begin < starts.length; begin += 1) {
      while (end < starts.length && starts[end]! < starts[begin]! + 1_000) end += 1;
      most = Math.max(most, end - begin);
    }
    expect(most).toBeLessThanOrEqual(50);
    const [usage] = await p.queue.limits();
    expect(usage).toMatchObject({ scope: 'type:echo', rate: { count: 50, perMs: 1_000 } });
  }, 60_000);
});

describe('global concurrency across 4 worker processes', () => {
  it('never runs more than 3 of a type at once, also after a worker is killed with -9', async () => {
    const queue = uniqueName('conc');
    const p = producer(redis, queue);
    await p.queue.setLimit('type:sleep', { concurrency: 3 });
    const ids = await submitAll(p, Array.from({ length: 30 }, () => ({ type: 'sleep', params: { ms: 150 } })));
    const workers = await startWorkers(4, queue, ['--concurrency', '4', '--lease-ms', '1000']);
    await until(async () => (await p.queue.limits())[0]?.running === 3 || undefined, 'three running');
    workers[0]!.kill('SIGKILL');
    const jobs = await finished(p, ids, 40_000);
    expect(jobs.every((job) => job.status === 'succeeded')).toBe(true);
    // Intervals [start, finish): the most that overlap is at some start.
    const intervals = jobs.map((job) => [ms(job.startedAt), ms(job.finishedAt)] as const);
    const most = Math.max(...intervals.map(([at]) => intervals.filter(([s, f]) => s <= at && at < f).length));
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBe(3);
    expect((await p.queue.limits())[0]).toMatchObject({ running: 0 });
  }, 60_000);
});

describe('a worker whose only ready jobs are held back by a limit', () => {
  it('waits for the moment one may start instead of asking again and again', async () => {
    // A server of its own: the count of calls must not include other tests'.
    const server = await startRedisServer();
    const own = new Redis(server.url);
    try {
      const queue = uniqueName('idle');
      const p = producer(own, queue);
      await p.queue.setLimit('type:echo', { rate: { count: 1, perMs: 3_000 } });
      const ids = await submitAll(p, [{ type: 'echo' }, { type: 'echo' }]);
      await startWorkers(2, queue, ['--concurrency', '4'], server.url);
      await p.waitFor(ids[0]!, ['succeeded']);
      await own.config('RESETSTAT');
      await sleep(1_500);
      const info = await own.info('commandstats');
      const calls = Number(/^cmdstat_fcall:calls=(\d+)/m.exec(info)?.[1] ?? 0);
      // Two workers, each at most a few calls while the 3 s window is closed (not one per ms).
      expect(calls).toBeLessThan(12);
      const second = await p.waitFor(ids[1]!, ['succeeded'], 10_000);
      const first = await p.job(ids[0]!);
      expect(ms(second.startedAt) - ms(first.startedAt)).toBeGreaterThanOrEqual(3_000);
      expect(ms(second.startedAt) - ms(first.startedAt)).toBeLessThan(4_500);
    } finally {
      for (const child of children.splice(0)) {
        child.kill('SIGKILL');
        await child.exited;
      }
      own.disconnect();
      await server.dispose();
    }
  }, 30_000);
});
