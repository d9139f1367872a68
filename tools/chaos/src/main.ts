#!/usr/bin/env node
// npm run chaos [-- --short]: the API and three workers as child processes on a throwaway Redis with
// the append-only file on. While jobs of four kinds are submitted and worked, workers are killed
// (SIGKILL) and replaced every 1-2 s, others are stopped with SIGTERM, and Redis is restarted once.
// At the end every submission must be in exactly one terminal state, and no completion may have
// been committed twice. Loopback only; bounded in jobs and time; exits non-zero on any miss.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedisServer } from '@hotq/test-harness';
import { startApi, startWorker, stopProcess } from './processes.js';
import { submitAll, type Submitted } from './submit.js';

const short = process.argv.includes('--short');
const JOBS = short ? 300 : 2_000;
const DEADLINE_MS = short ? 60_000 : 180_000;
const QUEUE = 'chaos';
const handlers = join(dirname(fileURLToPath(import.meta.url)), 'handlers.js');
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

const redisServer = await startRedisServer({ appendonly: true });
const api = await startApi(redisServer.url, QUEUE);
const workers: ChildProcess[] = [0, 1, 2].map(() => startWorker(redisServer.url, QUEUE, handlers));
const stats = { killed: 0, terminated: 0, redisRestarts: 0 };

// Count terminal transitions as they are published, per job: one is right, two is a double commit.
const terminalEvents = new Map<string, number>();
const subscriber = new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 });
subscriber.on('error', () => {});
await subscriber.subscribe(`{hotq:${QUEUE}}:events`);
subscriber.on('message', (_channel, message) => {
  const event = JSON.parse(message) as { id: string; status?: string };
  if (event.status && TERMINAL.has(event.status)) terminalEvents.set(event.id, (terminalEvents.get(event.id) ?? 0) + 1);
});

let chaosOn = true;
const chaos = (async () => {
  let tick = 0;
  while (chaosOn) {
    await sleep(1_000 + Math.random() * 1_000);
    if (!chaosOn) break;
    tick += 1;
    const victim = Math.floor(Math.random() * workers.length);
    void stopProcess(workers[victim]!, 'SIGKILL');
    workers[victim] = startWorker(redisServer.url, QUEUE, handlers);
    stats.killed += 1;
    if (tick % 4 === 0) {
      const other = (victim + 1) % workers.length;
      void stopProcess(workers[other]!, 'SIGTERM');
      workers[other] = startWorker(redisServer.url, QUEUE, handlers);
      stats.terminated += 1;
    }
    if (tick === 2) {
      log('restarting Redis (clean shutdown, append-only file kept)');
      await redisServer.stop();
      await sleep(1_000);
      await redisServer.start();
      stats.redisRestarts += 1;
    }
  }
})();

let submitted: Submitted[] = [];
const misses: string[] = [];
try {
  submitted = await submitAll(api.base, JOBS, log);
  log(`${submitted.length} jobs submitted`);
  // Let the chaos run at least until Redis has restarted, then let the system settle.
  while (stats.redisRestarts === 0 && Date.now() - started < DEADLINE_MS / 2) await sleep(200);
  chaosOn = false;
  await chaos;
  log(`chaos over: ${stats.killed} SIGKILLs, ${stats.terminated} SIGTERMs, ${stats.redisRestarts} Redis restart(s); waiting for every job to end`);
  const finals = await waitForAll(api.base, submitted, started + DEADLINE_MS);
  check(submitted, finals);
} catch (error) {
  misses.push(`the run broke: ${(error as Error).message}`);
} finally {
  chaosOn = false;
  await Promise.all([...workers.map((w) => stopProcess(w, 'SIGTERM')), stopProcess(api.child, 'SIGTERM')]);
  subscriber.disconnect();
  await redisServer.dispose();
}

if (misses.length > 0) {
  for (const miss of misses.slice(0, 20)) console.log(`MISS: ${miss}`);
  console.log(`chaos: FAILED with ${misses.length} miss(es)`);
  process.exit(1);
}
console.log('chaos: OK');

async function waitForAll(base: string, jobs: Submitted[], deadline: number): Promise<Map<string, Record<string, unknown>>> {
  const finals = new Map<string, Record<string, unknown>>();
  while (Date.now() < deadline) {
    for (const job of jobs) {
      if (finals.has(job.id)) continue;
      const response = await fetch(`${base}/jobs/${job.id}`).catch(() => undefined);
      if (response?.status !== 200) continue;
      const record = (await response.json()) as Record<string, unknown>;
      if (TERMINAL.has(record.status as string)) finals.set(job.id, record);
    }
    if (finals.size === jobs.length) return finals;
    await sleep(500);
  }
  return finals;
}

function check(jobs: Submitted[], finals: Map<string, Record<string, unknown>>): void {
  const byStatus: Record<string, number> = { succeeded: 0, failed: 0, cancelled: 0 };
  for (const job of jobs) {
    const record = finals.get(job.id);
    if (!record) {
      misses.push(`job ${job.id} (${job.kind}) did not end in time`);
      continue;
    }
    byStatus[record.status as string] = (byStatus[record.status as string] ?? 0) + 1;
    const attempts = record.attempts as number;
    if (job.kind === 'doomed' && record.status !== 'failed') misses.push(`doomed job ${job.id} ended ${record.status}`);
    if (job.kind === 'flaky' && record.status === 'succeeded' && attempts < 2) misses.push(`flaky job ${job.id} succeeded in ${attempts} attempt(s)`);
    if (job.kind !== 'doomed' && job.kind !== 'flaky' && record.status !== 'succeeded') {
      // Killed often enough, a job can use all its attempts; that is a legal end, but say so.
      log(`note: ${job.kind} job ${job.id} ended ${record.status} after ${attempts} attempts (${JSON.stringify(record.error)})`);
    }
    const events = terminalEvents.get(job.id) ?? 0;
    if (events > 1) misses.push(`job ${job.id} was committed ${events} times`);
  }
  const ended = byStatus.succeeded! + byStatus.failed! + byStatus.cancelled!;
  log(`submitted ${jobs.length} = succeeded ${byStatus.succeeded} + failed ${byStatus.failed} + cancelled ${byStatus.cancelled} (${ended})`);
  if (ended !== jobs.length) misses.push(`submitted ${jobs.length} but ${ended} ended`);
  const seen = [...terminalEvents.values()].filter((n) => n >= 1).length;
  log(`terminal events seen for ${seen} jobs (pub/sub misses events during the Redis restart), doubles: ${[...terminalEvents.values()].filter((n) => n > 1).length}`);
}
