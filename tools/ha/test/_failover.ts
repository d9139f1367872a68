// One failover under load, the same on a Sentinel deployment and on a Redis Cluster: hotq-api and
// two hotq-worker processes run against the deployment, submitters post jobs, the replicas of the
// master stop receiving its writes for a moment (as when the network to them stalls) and the master
// is SIGKILLed; one replica is promoted; then the processes must carry on by themselves. Counted afterwards from the promoted master: acknowledged submissions that are gone,
// and how many times each job was finished in the history the new master holds (its AOF).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCommitLog, type RedisServer } from '@hotq/test-harness';
import { Redis } from 'ioredis';

const require = createRequire(import.meta.url);
const HANDLERS = fileURLToPath(new URL('./fixtures/handlers.mjs', import.meta.url));

/** The path of a workspace package's bin, found through its package.json. */
function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  return resolve(dirname(manifestPath), manifest.bin[bin] as string);
}

/** This process's environment without any hotq or Redis setting of its own, plus `extra`. */
function environment(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('HOTQ_') && !key.startsWith('REDIS_')) env[key] = value;
  }
  return { ...env, ...extra };
}

interface Child {
  process: ChildProcess;
  output(): string;
}

function launch(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, args, { env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const keep = (chunk: Buffer): void => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  // Both streams are read to their end: a worker logs to stdout synchronously, and a pipe nobody
  // reads fills up (64 KB) during a failover's warnings and then stops the worker in its next write.
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { process: child, output: () => text };
}

async function startApi(env: Record<string, string>): Promise<Child & { base: string }> {
  const child = launch([binOf('@hotq/api', 'hotq-api'), '--port', '0', '--log-level', 'warn'], env);
  const base = await new Promise<string>((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error(`hotq-api did not listen within 30 s: ${child.output()}`)), 30_000);
    child.process.once('exit', (code) => reject(new Error(`hotq-api exited with code ${code}: ${child.output()}`)));
    createInterface({ input: child.process.stdout! }).on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveBase(match[1] as string);
      }
    });
  });
  return { ...child, base };
}

async function stop(child: Child): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    proc.kill('SIGTERM');
  });
}

/** What a failover scenario needs from its deployment. */
export interface Deployment {
  /** The variables that point the commands at it (REDIS_SENTINELS, or REDIS_CLUSTER_NODES). */
  env: Record<string, string>;
  /** The master that holds the queue `keyBase`, and its replicas. */
  primaryOf(keyBase: string): Promise<{ master: RedisServer; replicas: RedisServer[] }>;
  /** Waits until a replica of `master` has taken over; resolves with it. */
  waitForFailover(master: RedisServer, replicas: readonly RedisServer[]): Promise<RedisServer>;
  /** Makes the replicas of `master` fall behind it (until it dies). */
  stall(replicas: readonly RedisServer[]): void;
  /** Undoes what `stall` did that would keep a replica from taking over, once the master is dead. */
  resume(replicas: readonly RedisServer[]): void;
  /** After the failover, what an orchestrator would do (e.g. start the dead node again, as a replica). */
  recover?(master: RedisServer): Promise<void>;
}

/** What happened in one run. */
export interface FailoverReport {
  waitReplicas: number;
  /** Submissions answered 201: the promise to keep. */
  acknowledged: number;
  /** Acknowledged before the master was killed / sent after it was. */
  acknowledgedBefore: number;
  acknowledgedAfter: number;
  /** Answers other than 201 (503 while the master was down, or not_replicated). */
  refused: number;
  /** Acknowledged jobs the new master does not have. */
  lost: string[];
  /** Jobs the new master has that did not end succeeded (after the run settled). */
  unfinished: string[];
  /** Jobs the new master's history finished more than once. */
  finishedTwice: string[];
  /** Jobs whose handler ran more than once (a completion the failover took back runs again). */
  ranAgain: number;
  /** From the kill until the first acknowledgement of a submission sent after it. */
  recoveryMs: number;
  /**
   * The workers as the run left them (still running, or how they ended) with the end of their
   * output: what to read when jobs stayed unfinished.
   */
  workers: string;
}

/** Each replica writes the history it receives to an append-only file, read afterwards as the commit log. */
export async function recordHistory(replicas: readonly RedisServer[]): Promise<void> {
  await Promise.all(replicas.map(async (replica) => {
    const client = new Redis(replica.port, '127.0.0.1');
    try {
      await client.config('SET', 'auto-aof-rewrite-percentage', '0');
      await client.config('SET', 'appendonly', 'yes');
      for (let tries = 0; ; tries += 1) {
        const info = await client.info('persistence');
        if (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
        if (tries > 200) throw new Error(`replica ${replica.port} did not start its append-only file`);
        await sleep(50);
      }
    } finally {
      client.disconnect();
    }
  }));
}

/**
 * Runs the scenario once on a fresh queue: `waitReplicas` is HOTQ_WAIT_REPLICAS of the API. Load
 * for `beforeMs`, replicas stopped for `lagMs`, master killed, replicas resumed, load until
 * `afterMs` past the failover, then every job settles (bounded) and the new master is read.
 */
export async function runFailover(deployment: Deployment, options: { queue: string; waitReplicas: number; beforeMs?: number; lagMs?: number; afterMs?: number }): Promise<FailoverReport> {
  const { queue, waitReplicas } = options;
  const keyBase = `{hotq:${queue}}`;
  const dir = mkdtempSync(join(tmpdir(), 'hotq-ha-'));
  const runLog = join(dir, 'runs.log');
  writeFileSync(runLog, '');
  const env = { ...deployment.env, HOTQ_QUEUE: queue, HOTQ_WAIT_REPLICAS: String(waitReplicas), HOTQ_WAIT_REPLICAS_TIMEOUT_MS: '500', HA_RUNLOG: runLog };
  const { master, replicas } = await deployment.primaryOf(keyBase);
  const api = await startApi(env);
  const workers = [0, 1].map(() => launch([
    binOf('@hotq/worker', 'hotq-worker'), '--handlers', HANDLERS, '--concurrency', '4', '--lease-ms', '2000', '--grace-ms', '1000', '--log-level', 'warn',
  ], env));
  const acknowledged: Array<{ id: string; sent: number; at: number }> = [];
  let refused = 0;
  let submitting = true;
  let sequence = 0;
  const submitter = async (): Promise<void> => {
    while (submitting) {
      const n = (sequence += 1);
      const sent = performance.now();
      try {
        const answer = await fetch(`${api.base}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'quick', params: { n } }),
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await answer.json()) as { id?: string };
        if (answer.status === 201 && body.id) acknowledged.push({ id: body.id, sent, at: performance.now() });
        else refused += 1;
      } catch {
        refused += 1;
      }
      if (!submitting) break;
      // A short pause between one submitter's posts: four of them make a steady, modest load.
      await sleep(2);
    }
  };
  try {
    const submitters = Array.from({ length: 4 }, submitter);
    for (const startedBy = performance.now() + 30_000; acknowledged.length === 0 && performance.now() < startedBy;) await sleep(20);
    await sleep(options.beforeMs ?? 1_500);
    // The replicas fall behind, then the master dies: what it acknowledged meanwhile is only on it.
    deployment.stall(replicas);
    await sleep(options.lagMs ?? 300);
    const killedAt = performance.now();
    await master.kill();
    deployment.resume(replicas);
    const promoted = await deployment.waitForFailover(master, replicas);
    await deployment.recover?.(master);
    const acknowledgedBefore = acknowledged.filter((entry) => entry.at < killedAt).length;
    // The processes reconnect by themselves: wait for submissions acknowledged by the new master
    // (60 s: on a loaded CI machine the sentinels' vote and the clients' reconnection took over 30).
    const deadline = performance.now() + 60_000;
    while (acknowledged.filter((entry) => entry.sent > killedAt).length < 20 && performance.now() < deadline) await sleep(50);
    const firstAfter = acknowledged.find((entry) => entry.sent > killedAt);
    await sleep(options.afterMs ?? 1_500);
    submitting = false;
    await Promise.all(submitters);

    // Every job the new master has settles: leases of jobs running on the old master run out (2 s).
    const client = new Redis(promoted.port, '127.0.0.1');
    try {
      const ids = acknowledged.map((entry) => entry.id);
      const statuses = async (): Promise<Array<string | null>> => {
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.hget(`${keyBase}:job:${id}`, 's');
        return ((await pipeline.exec()) ?? []).map(([, value]) => (value as string | null) ?? null);
      };
      let current = await statuses();
      const settleBy = performance.now() + 40_000;
      while (current.some((s) => s !== null && s !== 'succeeded') && performance.now() < settleBy) {
        await sleep(250);
        current = await statuses();
      }
      const lost = ids.filter((_, index) => current[index] === null);
      const unfinished = ids.filter((_, index) => current[index] !== null && current[index] !== 'succeeded');
      const commits = readCommitLog(promoted.dir, keyBase);
      const finishedTwice = [...commits.finished.entries()].filter(([, list]) => list.length > 1).map(([id]) => id);
      const runs = new Map<string, number>();
      for (const line of readFileSync(runLog, 'utf8').split('\n').filter(Boolean)) {
        const id = line.split(' ')[0] as string;
        runs.set(id, (runs.get(id) ?? 0) + 1);
      }
      return {
        waitReplicas,
        acknowledged: ids.length,
        acknowledgedBefore,
        acknowledgedAfter: acknowledged.filter((entry) => entry.sent > killedAt).length,
        refused,
        lost,
        unfinished,
        finishedTwice,
        ranAgain: [...runs.values()].filter((count) => count > 1).length,
        recoveryMs: firstAfter === undefined ? Number.NaN : Math.round(firstAfter.at - killedAt),
        workers: workers.map((worker, index) => {
          const { exitCode, signalCode } = worker.process;
          const state = exitCode === null && signalCode === null ? 'running' : `ended (${signalCode ?? `code ${exitCode}`})`;
          return `--- worker ${index + 1}, ${state}:\n${worker.output().slice(-4_000)}`;
        }).join('\n'),
      };
    } finally {
      client.disconnect();
    }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- hotq-api:\n${api.output()}\n--- a worker:\n${workers[0]?.output() ?? ''}`, { cause: error });
  } finally {
    submitting = false;
    deployment.resume(replicas);
    await Promise.all([stop(api), ...workers.map(stop)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line a person can read in the test output. */
export function describeReport(where: string, report: FailoverReport): string {
  return `${where}, HOTQ_WAIT_REPLICAS=${report.waitReplicas}: ${report.acknowledged} submissions acknowledged `
    + `(${report.acknowledgedBefore} before the kill, ${report.acknowledgedAfter} after), ${report.refused} refused; `
    + `lost ${report.lost.length}, unfinished ${report.unfinished.length}, finished twice ${report.finishedTwice.length}, `
    + `handlers run again ${report.ranAgain}; first acknowledgement after the kill: ${report.recoveryMs} ms`;
}
