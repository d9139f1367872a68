// Shared by the worker's tests: connections, submitting jobs as the API does, waiting for records,
// and running `node dist/bin.js` as a real child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { Redis, type Cluster } from 'ioredis';
import { pino, type Logger } from 'pino';
import { JobsStore, type Job, type JobMessage, type JobStatus, type SubmitInput } from '@hotq/jobs-store';
import { TaskQueue } from '@hotq/queue-core';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const binPath = join(packageDir, 'dist', 'bin.js');
export const fixture = (name: string): string => join(packageDir, 'test', 'fixtures', name);

export function connect(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
  redis.on('error', () => {});
  return redis;
}

/** The store and queue of one queue name, built as the API builds them. */
export interface Producer {
  readonly store: JobsStore;
  readonly queue: TaskQueue<JobMessage>;
  submit(input: SubmitInput): Promise<string>;
  job(id: string): Promise<Job>;
  waitFor(id: string, statuses: readonly JobStatus[], timeoutMs?: number): Promise<Job>;
  close(): Promise<void>;
}

export function producer(redis: Redis | Cluster, queueName: string, prefix = 'hotq', partitions = 1): Producer {
  const store = new JobsStore({ redis, prefix, queue: queueName, partitions });
  const queue = new TaskQueue<JobMessage>({ redis, name: queueName, prefix, partitions, hooks: store.queueHooks() });
  const job = async (id: string): Promise<Job> => {
    const found = await store.get(id);
    if (found === null) throw new Error(`job ${id} not found`);
    return found;
  };
  return {
    store,
    queue,
    async submit(input) {
      const submission = store.prepareSubmission(input);
      const put = await queue.put(submission.payload, submission.put);
      if (put.outcome === 'refused') return put.refusal as string;
      return submission.id;
    },
    job,
    async waitFor(id, statuses, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let last: Job | undefined;
      while (Date.now() < deadline) {
        last = await job(id);
        if (statuses.includes(last.status)) return last;
        await sleep(25);
      }
      throw new Error(`job ${id} is ${last?.status ?? 'unknown'}, not ${statuses.join(' or ')}, after ${timeoutMs} ms`);
    },
    async close() {
      await queue.close();
    },
  };
}

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A pino logger whose lines are kept in memory (objects), for assertions. */
export function memoryLogger(level = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

/** A file that the fixture handlers append one line to per job start. */
export function runLog(): { path: string; starts(id?: string): string[] } {
  const path = join(mkdtempSync(join(tmpdir(), 'hotq-worker-test-')), 'runs.log');
  return {
    path,
    starts(id) {
      if (!existsSync(path)) return [];
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      return id === undefined ? lines : lines.filter((line) => line.startsWith(`${id} `));
    },
  };
}

/** A `hotq-worker` child process with its output collected. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Log lines (parsed JSON) from stdout. */
  logs(): Array<Record<string, unknown>>;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnWorker(args: readonly string[], env: Record<string, string | undefined> = {}): WorkerProcess {
  const cleanEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('HOTQ_') && !key.startsWith('REDIS_')) cleanEnv[key] = value;
  }
  for (const [key, value] of Object.entries(env)) if (value !== undefined) cleanEnv[key] = value;
  const child = spawn(process.execPath, [binPath, ...args], { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  let partial = '';
  child.stdout?.on('data', (data: Buffer) => {
    const text = partial + data.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    stdout.push(...parts.filter(Boolean));
  });
  child.stderr?.on('data', (data: Buffer) => stderr.push(data.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const logs = (): Array<Record<string, unknown>> =>
    stdout.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return {
    child,
    stdout,
    stderr,
    logs,
    exited,
    async waitForLog(match, timeoutMs = 20_000) {
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      return await until(() => {
        const found = logs().find(match);
        if (!found && exitedEarly) throw new Error(`the worker exited before logging what was awaited; stderr: ${stderr.join('')}; stdout: ${stdout.join('\n')}`);
        return found;
      }, 'a log line', timeoutMs);
    },
    kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export const started = (line: Record<string, unknown>): boolean => line.msg === 'worker started';

/**
 * The hooks every child-process test file needs: the run's Redis (handed over through `set`), and a
 * SIGKILL for any child a test left running, so one failing test cannot disturb the next.
 */
export function useChildProcessSuite(children: WorkerProcess[], set: (redis: Redis, url: string) => void): void {
  let redis: Redis | undefined;
  beforeAll(() => {
    const url = inject('redisUrl');
    redis = connect(url);
    set(redis, url);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
  });
  afterAll(() => {
    redis?.disconnect();
  });
}
