// Shared by redis-outage.test.ts and redis-freeze.test.ts: the real hotq-api and two hotq-worker
// processes on a private redis-server, a steady load of submissions and reads, and a 10-second Redis
// fault in the middle of it; everything each request got back, and every job's end.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { readCommitLog, startRedisServer, type CommitLog, type RedisServer } from '@hotq/test-harness';
import type { JobRecord, StatsBody } from '../src/check.js';
import { startApi, startWorker, stopProcess, type ApiProcess, type Captured } from '../src/processes.js';

const HANDLERS = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/handlers.js');
const QUEUE = 'outage';
export const KEY_BASE = `{hotq:${QUEUE}}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One answer (or failure to answer) the load got. */
export interface Answer {
  /** `probe`: a read the run sends itself at set moments of the fault (0.05, 1 and 2 s in). */
  op: 'submit' | 'read' | 'ready' | 'probe';
  /** When it was sent and how long it took (ms since the run began). */
  at: number;
  ms: number;
  /** The HTTP status, or 0 when the API did not answer at all. */
  status: number;
}

/** How Redis becomes unreachable for `faultMs`. */
export type Fault =
  /** Stopped (SIGTERM: a clean SHUTDOWN, connections refused) and started again on the same port. */
  | 'stop'
  /** Frozen (SIGSTOP: connections stay open and nothing answers), then thawed (SIGCONT). */
  | 'freeze';

export interface OutageRun {
  answers: Answer[];
  /** When the fault began and ended (ms since the run began). */
  faultAt: number;
  restoredAt: number;
  /** Accepted jobs, by id, with the kind submitted. */
  accepted: Map<string, string>;
  /** Submissions answered 503 or not at all and sent again with the same idempotency key... */
  resent: number;
  /** ...of which the resend was answered 200: the first one had been applied although it got 503. */
  appliedDespite503: number;
  /** Every job the API lists once all have ended, the queue's stats, and the commit log. */
  records: Map<string, JobRecord>;
  stats: StatsBody;
  commits: CommitLog;
  /** Output of the API and of each worker; whether each was still running at the end. */
  apiOutput: string;
  workerOutputs: string[];
  allAlive: boolean;
}

/** Runs the API and two workers, the load, and the fault; returns what happened. Bounded by `deadlineMs`. */
export async function runOutage(fault: Fault, options: { faultMs?: number; deadlineMs?: number } = {}): Promise<OutageRun> {
  const faultMs = options.faultMs ?? 10_000;
  const deadline = Date.now() + (options.deadlineMs ?? 80_000);
  const server: RedisServer = await startRedisServer({ appendonly: true, args: ['--auto-aof-rewrite-percentage', '0'] });
  let api: ApiProcess | undefined;
  const workers: Array<ChildProcess & Captured> = [];
  let loadOn = true;
  try {
    api = await startApi(server.url, QUEUE, { capture: true, logLevel: 'warn' });
    const base = api.base;
    for (let i = 0; i < 2; i += 1) workers.push(startWorker(server.url, QUEUE, HANDLERS, { capture: true, logLevel: 'info', leaseMs: 3_000, concurrency: 4 }));
    await waitFor(() => workers.every((worker) => worker.output().includes('worker started')), 'the workers to start', 30_000);

    const began = Date.now();
    const now = () => Date.now() - began;
    const answers: Answer[] = [];
    const accepted = new Map<string, string>();
    const counters = { resent: 0, appliedDespite503: 0 };

    const timed = async (op: Answer['op'], send: () => Promise<Response>): Promise<Response | undefined> => {
      const at = now();
      const response = await send().catch(() => undefined);
      answers.push({ op, at, ms: now() - at, status: response?.status ?? 0 });
      return response;
    };
    const submitter = async (lane: number) => {
      for (let n = 0; loadOn; n += 1) {
        const kind = ['quick', 'quick', 'slow', 'flaky'][n % 4]!;
        const body = JSON.stringify({ type: kind, params: kind === 'slow' ? { ms: 300 } : { n, lane }, maxAttempts: 5, idempotencyKey: randomUUID() });
        let resent = false;
        // The same key until accepted: a 503 or no answer may still have been applied.
        for (;;) {
          const response = await timed('submit', () => fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
          const status = response?.status ?? 0;
          if (status === 201 || status === 200) {
            if (status === 200) counters.appliedDespite503 += 1;
            accepted.set(((await response!.json()) as { id: string }).id, kind);
            break;
          }
          await response?.body?.cancel();
          if (status !== 503 && status !== 0) throw new Error(`POST /jobs answered ${status}`);
          if (!resent) counters.resent += 1;
          resent = true;
          await sleep(200);
        }
        await sleep(40);
      }
    };
    const reader = async () => {
      while (loadOn) {
        const ids = [...accepted.keys()];
        if (ids.length > 0) {
          const response = await timed('read', () => fetch(`${base}/jobs/${ids[Math.floor(Math.random() * ids.length)]}`));
          await response?.body?.cancel();
        }
        const ready = await timed('ready', () => fetch(`${base}/readyz`));
        await ready?.body?.cancel();
        await sleep(100);
      }
    };
    const load = Promise.all([0, 1, 2, 3].map(submitter).concat([reader(), reader()]));

    await sleep(3_000);
    const pid = await redisPid(server.url);
    const faultAt = now();
    if (fault === 'stop') await server.stop();
    else process.kill(pid, 'SIGSTOP');
    // Reads at set moments of the fault, whatever the load's own requests happen to be doing then (on a
    // busy machine they may all be in flight when it begins, and send nothing new for seconds).
    const probes = Promise.all([50, 1_000, 2_000].map(async (delay) => {
      await sleep(delay);
      const [id] = accepted.keys();
      const response = await timed('probe', () => fetch(`${base}/jobs/${id ?? '00000000000000000000000000'}`));
      await response?.body?.cancel();
    }));
    await sleep(faultMs - (now() - faultAt));
    const restoredAt = now();
    if (fault === 'stop') await server.start();
    else process.kill(pid, 'SIGCONT');
    await sleep(4_000);
    loadOn = false;
    await Promise.all([load, probes]);

    // Every accepted job ends: nothing waiting, queued, delayed or running, and the queue's own sets
    // empty too (the two are read separately, so both are waited for; a moment where the records
    // were all over but the queue was not is reported).
    let stats: StatsBody | undefined;
    for (;;) {
      const response = await fetch(`${base}/stats`).catch(() => undefined);
      if (response?.status === 200) {
        stats = (await response.json()) as StatsBody;
        const { waiting = 0, queued = 0, delayed = 0, running = 0 } = stats.counts;
        const { ready, delayed: due, leased } = stats.queue;
        if (waiting + queued + delayed + running === 0) {
          if (ready + due + leased === 0) break;
          console.log(`every record is over but the queue still holds ready ${ready}, delayed ${due}, leased ${leased}`);
        }
      }
      if (Date.now() > deadline) throw new Error(`jobs still unfinished at the deadline: ${JSON.stringify(stats?.counts)}, queue ${JSON.stringify(stats?.queue)}`);
      await sleep(250);
    }
    const records = new Map<string, JobRecord>();
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const page = (await (await fetch(`${base}/jobs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { jobs: JobRecord[]; nextCursor: string | null };
      for (const job of page.jobs) records.set(job.id, job);
      cursor = page.nextCursor;
    }
    const allAlive = api.child.exitCode === null && workers.every((worker) => worker.exitCode === null && worker.signalCode === null);
    return {
      answers, faultAt, restoredAt, accepted, ...counters, records, stats: stats!,
      commits: readCommitLog(server.dir, KEY_BASE),
      apiOutput: api.output(), workerOutputs: workers.map((worker) => worker.output()), allAlive,
    };
  } finally {
    loadOn = false;
    await Promise.all([...workers.map((worker) => stopProcess(worker, 'SIGTERM')), api ? stopProcess(api.child, 'SIGTERM') : undefined]);
    await server.dispose();
  }
}

async function redisPid(url: string): Promise<number> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
  } finally {
    admin.disconnect();
  }
}

async function waitFor(probe: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Log lines (pino JSON) of a process's output. */
export function logLines(output: string): Array<{ level: number; msg: string }> {
  return output.split('\n').flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as { level?: unknown; msg?: unknown };
      return typeof parsed.level === 'number' ? [{ level: parsed.level, msg: String(parsed.msg) }] : [];
    } catch {
      return [];
    }
  });
}
