#!/usr/bin/env node
// npm run chaos [-- --short] [-- --jobs N] [-- --appendfsync always|everysec|no] [-- --no-redis-kill] [-- --no-api-kill] [-- --plain]
//                [-- --cluster [--partitions P]]
//
// The API and three workers as child processes on a throwaway Redis with the append-only file on.
// While jobs of five kinds are submitted and worked (quick, slow, flaky, doomed, and slow ones
// cancelled while queued or running), a random worker is killed (SIGKILL) and replaced every 1-2 s,
// another is stopped with SIGTERM every fourth time, Redis is restarted cleanly (SHUTDOWN) once, the
// API is killed (SIGKILL) and replaced once, and Redis is killed (SIGKILL) and restarted once.
// Unless --plain, the jobs carry priorities and two limits are in force (set over HTTP at the start): a
// rate limit on `quick` below the rate they are submitted at, and a concurrency limit on `slow`; one
// submission in 25 is a chain of three jobs that wait on each other (every other one with a doomed
// middle link), and a schedule makes a `quick` job every second while the submissions last (overlap
// allowed: the quick backlog the rate limit holds back would otherwise skip occurrences by design).
// At the end every submission must be in exactly one terminal state and nothing else may exist; the
// completions are counted in Redis's append-only file (a durable log of every write), not from
// pub/sub or the final state; see check.ts for the whole list. Loopback only; bounded in jobs and
// time (full: 2,000 jobs, at most 3 minutes; --short: 300 jobs, for CI); exits non-zero on any miss.
//
// Redis SIGKILL and appendfsync: with `always` Redis writes and fsyncs each write to the append-only
// file before it answers, so every acknowledged submission survives a kill (of the process or the
// machine). The run uses `always`; `--appendfsync everysec` shows the trade (see docs/reliability.md).
//
// --cluster: the same on a Redis Cluster of three masters (no replicas), the queue in P partitions
// (--partitions, default 6) spread over them, the API and workers reaching it through
// REDIS_CLUSTER_NODES and HOTQ_PARTITIONS. The clean restart is of the first master, the SIGKILL of
// the second; the commit log is read from every master's append-only file, for every partition.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { readCommitLog, startRedisCluster, startRedisServer, type CommitLog, type RedisCluster, type RedisServer } from '@hotq/test-harness';
import { check, type JobRecord, type StatsBody } from './check.js';
import { startApi, startWorker, stopProcess, type ApiProcess } from './processes.js';
import { submitAll, type Submitted } from './submit.js';

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const short = argv.includes('--short');
const JOBS = Number(option('--jobs') ?? (short ? 300 : 2_000));
const DEADLINE_MS = short ? 90_000 : 180_000;
/** Submissions are spread over this long at least, so that every fault below hits them in flight. */
const SPREAD_MS = short ? 14_000 : 60_000;
const APPENDFSYNC = option('--appendfsync') ?? 'always';
const REDIS_KILL = !argv.includes('--no-redis-kill');
const API_KILL = !argv.includes('--no-api-kill');
const PLAIN = argv.includes('--plain');
const CLUSTER = argv.includes('--cluster');
const PARTITIONS = Number(option('--partitions') ?? (CLUSTER ? 6 : 1));
if (!Number.isInteger(PARTITIONS) || PARTITIONS < 1 || PARTITIONS > 1024) throw new Error('--partitions must be an integer from 1 to 1024');
/** Starts of `quick` jobs per second: below their submission rate, so that the limit holds them back. */
const QUICK_RATE = short ? 10 : 15;
// A partitioned queue shares a limit out among its partitions: at least one each.
const SLOW_CONCURRENCY = Math.max(4, PARTITIONS);
if (!Number.isInteger(JOBS) || JOBS < 1) throw new Error('--jobs must be a positive integer');
if (!['always', 'everysec', 'no'].includes(APPENDFSYNC)) throw new Error('--appendfsync must be always, everysec or no');

const QUEUE = 'chaos';
const handlers = join(dirname(fileURLToPath(import.meta.url)), 'handlers.js');
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

const scratch = mkdtempSync(join(tmpdir(), 'hotq-chaos-'));
const runLog = join(scratch, 'runs.log');
// Automatic AOF rewrites off: a rewrite would replace the history the checker reads with a snapshot.
const persistence = ['--appendonly', 'yes', '--appendfsync', APPENDFSYNC, '--auto-aof-rewrite-percentage', '0'];
const cluster: RedisCluster | undefined = CLUSTER ? await startRedisCluster(3, { args: persistence, nodeTimeoutMs: 30_000 }) : undefined;
const redisServer: RedisServer = cluster ? (cluster.servers[0] as RedisServer) : await startRedisServer({ appendonly: true, args: persistence.slice(2) });
/** The masters: their append-only files hold the history the checker reads. */
const masters: readonly RedisServer[] = cluster ? cluster.servers : [redisServer];
/** The server SIGKILLed once (on a cluster, another master than the one restarted cleanly). */
const killedServer: RedisServer = cluster ? (cluster.servers[1] as RedisServer) : redisServer;
const deployment: Record<string, string> = cluster
  ? { REDIS_CLUSTER_NODES: cluster.nodes.map((node) => `${node.host}:${node.port}`).join(','), HOTQ_PARTITIONS: String(PARTITIONS) }
  : { HOTQ_PARTITIONS: String(PARTITIONS) };
const connectAdmin = (): Redis | Cluster => (cluster
  ? new Cluster([...cluster.nodes], { clusterRetryStrategy: () => 200, redisOptions: { maxRetriesPerRequest: null } })
  : new Redis(redisServer.url, { maxRetriesPerRequest: null, retryStrategy: () => 200 }));
log(cluster
  ? `a Redis Cluster of three masters (ports ${cluster.nodes.map((node) => node.port).join(', ')}), appendonly yes, appendfsync ${APPENDFSYNC}; the queue in ${PARTITIONS} partitions; ${JOBS} jobs`
  : `redis-server on ${redisServer.url}, appendonly yes, appendfsync ${APPENDFSYNC}${PARTITIONS > 1 ? `; the queue in ${PARTITIONS} partitions` : ''}; ${JOBS} jobs`);
let api: ApiProcess = await startApi(redisServer.url, QUEUE, { env: deployment });
/** The key base of each partition, as the API reports it (one: `{hotq:chaos}`). */
const keyBases = (await readUntilAnswered<{ partitions: Array<{ keyBase: string }> }>('/stats?partitions=true')).partitions.map((p) => p.keyBase);
if (!PLAIN) {
  await setLimit('type/quick', { rate: { count: QUICK_RATE, perMs: 1_000 } });
  await setLimit('type/slow', { concurrency: SLOW_CONCURRENCY });
  log(`priorities -10..10; limits: quick at most ${QUICK_RATE} starts per second, slow at most ${SLOW_CONCURRENCY} running`);
  await sendUntilAnswered('PUT', '/schedules/chaos-tick', { job: { type: 'quick', params: { n: -1 } }, everyMs: 1_000, overlap: 'allow' }, [200, 201]);
  log('schedule chaos-tick: a quick job every second while the submissions last; chains of three dependent jobs among them');
}
const scheduleSetAt = Date.now();
const workerEnv = { CHAOS_RUNLOG: runLog, ...deployment };
const workers: ChildProcess[] = [0, 1, 2].map(() => startWorker(redisServer.url, QUEUE, handlers, { env: workerEnv }));
const stats = { killed: 0, terminated: 0, redisRestarts: 0, redisKills: 0, apiKills: 0 };

// Terminal transitions as they are published: a second signal besides the commit log (it misses
// what is published while the subscriber reconnects).
const terminalEvents = new Map<string, string[]>();
const subscriber = connectAdmin();
subscriber.on('error', () => {});
await subscriber.subscribe(...keyBases.map((base) => `${base}:events`));
// The queue publishes events only while it is marked watched (as a watching store keeps it).
const watchMark = connectAdmin();
watchMark.on('error', () => {});
const markWatched = (): void => {
  for (const base of keyBases) watchMark.set(`${base}:watched`, '1', 'PX', 60_000).catch(() => {});
};
markWatched();
const watchRenewal = setInterval(markWatched, 1_000);
subscriber.on('message', (_channel, message) => {
  const event = JSON.parse(message) as { id: string; status?: string };
  if (event.status && TERMINAL.has(event.status)) terminalEvents.set(event.id, [...(terminalEvents.get(event.id) ?? []), event.status]);
});

/** SIGKILL of redis-server (its pid from INFO), then a start on the same port and data directory. */
async function killRedis(): Promise<void> {
  const admin = new Redis(killedServer.url, { maxRetriesPerRequest: 1, lazyConnect: true });
  admin.on('error', () => {});
  const info = await admin.info('server');
  admin.disconnect();
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      process.kill(pid, 0);
      await sleep(50);
    } catch {
      break;
    }
  }
  await sleep(1_000);
  await killedServer.start();
}

// Chaos ticks every 1-2 s; these faults come at the given ticks, all within the submissions' spread.
const planned = short ? { redisRestart: 2, apiKill: API_KILL ? 4 : -1, redisKill: REDIS_KILL ? 6 : -1 } : { redisRestart: 3, apiKill: API_KILL ? 12 : -1, redisKill: REDIS_KILL ? 24 : -1 };
const allPlannedDone = () => stats.redisRestarts === 1 && (!API_KILL || stats.apiKills === 1) && (!REDIS_KILL || stats.redisKills === 1);
let chaosOn = true;
const chaos = (async () => {
  let tick = 0;
  while (chaosOn) {
    await sleep(1_000 + Math.random() * 1_000);
    if (!chaosOn) break;
    tick += 1;
    const victim = Math.floor(Math.random() * workers.length);
    void stopProcess(workers[victim]!, 'SIGKILL');
    workers[victim] = startWorker(redisServer.url, QUEUE, handlers, { env: workerEnv });
    stats.killed += 1;
    if (tick % 4 === 0) {
      const other = (victim + 1) % workers.length;
      void stopProcess(workers[other]!, 'SIGTERM');
      workers[other] = startWorker(redisServer.url, QUEUE, handlers, { env: workerEnv });
      stats.terminated += 1;
    }
    if (tick === planned.redisRestart) {
      log(`restarting ${cluster ? 'a master' : 'Redis'} (clean shutdown, append-only file kept)`);
      await redisServer.stop();
      await sleep(1_000);
      await redisServer.start();
      stats.redisRestarts += 1;
    }
    if (tick === planned.apiKill) {
      log('killing the API (SIGKILL) and starting another');
      await stopProcess(api.child, 'SIGKILL');
      api = await startApi(redisServer.url, QUEUE, { env: deployment });
      stats.apiKills += 1;
    }
    if (tick === planned.redisKill) {
      log(`killing ${cluster ? 'a master' : 'Redis'} (SIGKILL; appendfsync ${APPENDFSYNC}) and starting it again`);
      await killRedis();
      stats.redisKills += 1;
    }
  }
})();

let submitted: Submitted[] = [];
let scheduleLifeMs: number | undefined;
const misses: string[] = [];
try {
  submitted = (await submitAll(() => api.base, JOBS, SPREAD_MS, log, PLAIN)).jobs;
  log(`${submitted.length} jobs submitted`);
  if (!PLAIN) {
    await sendUntilAnswered('DELETE', '/schedules/chaos-tick', undefined, [200, 404]);
    scheduleLifeMs = Date.now() - scheduleSetAt;
  }
  // Let the chaos run at least until every planned fault has happened, then let the system settle.
  while (!allPlannedDone() && Date.now() - started < DEADLINE_MS / 2) await sleep(200);
  chaosOn = false;
  await chaos;
  log(`chaos over: ${stats.killed} worker SIGKILLs, ${stats.terminated} worker SIGTERMs, ${stats.redisRestarts} Redis restart(s), ${stats.apiKills} API SIGKILL(s), ${stats.redisKills} Redis SIGKILL(s); waiting for every job to end`);
  if (!allPlannedDone()) misses.push('not every planned fault happened before the deadline');
  await waitForQuiet(started + DEADLINE_MS);
  const records = await listAll();
  const results = await readResults([...records.values()].filter((record) => record.status === 'succeeded').map((record) => record.id));
  const statsBody = (await (await fetch(`${api.base}/stats`)).json()) as StatsBody;
  const commits = mergeCommitLogs(masters.map((server) => keyBases.map((base) => readCommitLog(server.dir, base))));
  const runs = new Map<string, number>();
  const quickRuns: number[] = [];
  for (const line of readFileSync(runLog, 'utf8').split('\n').filter(Boolean)) {
    const [id, , , type, at] = line.split(' ');
    runs.set(id!, (runs.get(id!) ?? 0) + 1);
    if (type === 'quick') quickRuns.push(Number(at));
  }
  if (!PLAIN) {
    // The limit counts leases, on Redis's clock: the records' start times (each job's last lease) are
    // a subset of them, so no second of those may hold more than the limit. Handlers start a moment
    // after their lease, by a delay that varies with the load: their busiest second is only reported.
    const leased = [...records.values()].filter((record) => record.type === 'quick' && record.startedAt).map((record) => Date.parse(record.startedAt!));
    const busiest = busiestWindow(leased, 1_000);
    log(`quick jobs leased in the busiest second: ${busiest} (limit ${QUICK_RATE}); their handlers started in the busiest second: ${busiestWindow(quickRuns, 1_000)}`);
    if (busiest > QUICK_RATE) misses.push(`${busiest} quick jobs were leased within one second, over the limit of ${QUICK_RATE}`);
  }
  const outcome = check(submitted, { records, results, stats: statsBody, commits, events: terminalEvents, eventsMayRepeat: cluster !== undefined, runs, ...(scheduleLifeMs === undefined ? {} : { scheduleLifeMs }) });
  for (const line of outcome.report) log(line);
  misses.push(...outcome.misses);
} catch (error) {
  misses.push(`the run broke: ${(error as Error).stack ?? (error as Error).message}`);
} finally {
  chaosOn = false;
  await Promise.all([...workers.map((w) => stopProcess(w, 'SIGTERM')), stopProcess(api.child, 'SIGTERM')]);
  subscriber.disconnect();
  clearInterval(watchRenewal);
  watchMark.disconnect();
  if (cluster) await cluster.dispose();
  else await redisServer.dispose();
  rmSync(scratch, { recursive: true, force: true });
}

log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (misses.length > 0) {
  for (const miss of misses.slice(0, 30)) console.log(`MISS: ${miss}`);
  console.log(`chaos: FAILED with ${misses.length} miss(es)`);
  process.exit(1);
}
console.log('chaos: OK');

/**
 * One commit log from the logs of every master, each read once per partition (a job's commits are
 * in the log of its partition, on the master that holds it).
 */
function mergeCommitLogs(byMaster: CommitLog[][]): CommitLog {
  const merged: CommitLog = { finished: new Map(), results: new Map(), commands: 0, files: [], truncated: false };
  for (const [master, logs] of byMaster.entries()) {
    for (const one of logs) {
      for (const [id, statuses] of one.finished) merged.finished.set(id, [...(merged.finished.get(id) ?? []), ...statuses]);
      for (const [id, count] of one.results) merged.results.set(id, (merged.results.get(id) ?? 0) + count);
      merged.truncated ||= one.truncated;
    }
    // The same files, read once per partition: counted once per master.
    merged.commands += logs[0]?.commands ?? 0;
    merged.files.push(...(logs[0]?.files ?? []).map((file) => (byMaster.length > 1 ? `master ${master + 1}: ${file}` : file)));
  }
  return merged;
}

/** Sets a limit through the API (PUT /limits/...). */
async function setLimit(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${api.base}/limits/${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 200) throw new Error(`PUT /limits/${path} answered ${response.status}: ${await response.text()}`);
}

/**
 * A GET of the API until it answers 200: it prints "listening" before it has reached Redis, and on
 * a busy machine a first read may still get 503. Gives up after 30 s.
 */
async function readUntilAnswered<T>(path: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${api.base}${path}`).catch(() => undefined);
    if (response?.status === 200) return (await response.json()) as T;
    if (Date.now() > deadline) throw new Error(`GET ${path} did not answer 200 within 30 s (last: ${response?.status ?? 'no answer'})`);
    await sleep(200);
  }
}

/** Sends a request to whichever API runs until it answers (503 and no answer are tried again), one of `expected`. */
async function sendUntilAnswered(method: string, path: string, body: unknown, expected: number[]): Promise<void> {
  for (;;) {
    const response = await fetch(`${api.base}${path}`, {
      method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    }).catch(() => undefined);
    if (response && response.status !== 503) {
      if (!expected.includes(response.status)) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      return;
    }
    await sleep(200);
  }
}

/** The most of `times` (ms) within any window of `ms`. */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! >= ms) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Waits until nothing is queued, delayed or running (or the deadline passes). */
async function waitForQuiet(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const response = await fetch(`${api.base}/stats`).catch(() => undefined);
    if (response?.status === 200) {
      const body = (await response.json()) as StatsBody;
      const { waiting = 0, queued = 0, delayed = 0, running = 0 } = body.counts;
      const total = Object.values(body.counts).reduce((sum, n) => sum + n, 0);
      // A cancellation that came after its job ended deleted it (DELETE of a finished job): not counted.
      const deleted = submitted.filter((job) => job.cancel?.deleted).length;
      if (waiting + queued + delayed + running === 0 && total >= submitted.length - deleted) return;
    }
    await sleep(500);
  }
}

/** Every job the API lists (newest first, 1000 a page). */
async function listAll(): Promise<Map<string, JobRecord>> {
  const records = new Map<string, JobRecord>();
  let cursor: string | null = null;
  do {
    const response = await fetch(`${api.base}/jobs?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    if (response.status !== 200) throw new Error(`GET /jobs answered ${response.status}`);
    const page = (await response.json()) as { jobs: JobRecord[]; nextCursor: string | null };
    for (const job of page.jobs) {
      if (records.has(job.id)) throw new Error(`GET /jobs listed ${job.id} twice`);
      records.set(job.id, job);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return records;
}

/** The results of the given jobs, 16 requests at a time. */
async function readResults(ids: string[]): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const response = await fetch(`${api.base}/jobs/${id}/result`);
      if (response.status !== 200) throw new Error(`GET /jobs/${id}/result answered ${response.status}`);
      results.set(id, await response.json());
    }
  }));
  return results;
}
