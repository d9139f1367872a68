import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const require = createRequire(import.meta.url);

/** The path of a workspace package's bin, found through its package.json. */
export function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: Record<string, string> };
  const relative = manifest.bin?.[bin];
  if (!relative) throw new Error(`${pkg} has no bin named ${bin}`);
  return resolve(dirname(manifestPath), relative);
}

/** How to run one of our bins. */
export interface ProcessOptions {
  /** Extra environment (merged over a copy of this process's, without any HOTQ_* or REDIS_URL of its own). */
  env?: Record<string, string>;
  /** `--log-level` (default `error`: only what went wrong). */
  logLevel?: string;
  /** Keep stdout and stderr (see {@link Captured}) instead of passing stderr through. */
  capture?: boolean;
}

/** Output kept from a child process. */
export interface Captured {
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
}

function environment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('HOTQ_') && key !== 'REDIS_URL') env[key] = value;
  }
  return { ...env, ...extra };
}

function launch(args: string[], options: ProcessOptions): ChildProcess & Captured {
  const child = spawn(process.execPath, args, {
    env: environment(options.env),
    stdio: ['ignore', 'pipe', options.capture ? 'pipe' : 'inherit'],
  }) as ChildProcess & Captured;
  let text = '';
  if (options.capture) {
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  } else {
    child.stdout!.resume();
  }
  child.output = () => text;
  return child;
}

/** A running hotq-api. */
export interface ApiProcess extends Captured {
  child: ChildProcess;
  base: string;
}

/** Starts hotq-api on a free port and resolves with its base URL once it listens. */
export async function startApi(redisUrl: string, queue: string, options: ProcessOptions = {}): Promise<ApiProcess> {
  const child = launch([binOf('@hotq/api', 'hotq-api'), '--port', '0', '--redis-url', redisUrl, '--queue', queue, '--log-level', options.logLevel ?? 'error'], options);
  const base = await new Promise<string>((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error('hotq-api did not print "listening on" within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`hotq-api exited with code ${code}: ${child.output()}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveBase(match[1] as string);
      }
    });
  });
  return { child, base, output: child.output };
}

/** Settings of one hotq-worker. */
export interface WorkerOptions extends ProcessOptions {
  concurrency?: number;
  leaseMs?: number;
  graceMs?: number;
}

/** Starts one hotq-worker with the given handlers module. */
export function startWorker(redisUrl: string, queue: string, handlers: string, options: WorkerOptions = {}): ChildProcess & Captured {
  return launch([
    binOf('@hotq/worker', 'hotq-worker'),
    '--redis-url', redisUrl, '--queue', queue, '--concurrency', String(options.concurrency ?? 4), '--handlers', handlers,
    '--lease-ms', String(options.leaseMs ?? 2_000), '--grace-ms', String(options.graceMs ?? 1_000), '--log-level', options.logLevel ?? 'error',
  ], options);
}

/** Sends a signal and waits for the process to exit (at most `ms`, then SIGKILL). */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, ms = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return await new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveExit(code);
    });
    child.kill(signal);
  });
}
