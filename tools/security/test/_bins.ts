// The real hotq-api and hotq-worker commands as child processes, with everything they print kept.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** The path of a workspace package's bin, found through its package.json. */
function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: Record<string, string> };
  const relative = manifest.bin?.[bin];
  if (!relative) throw new Error(`${pkg} has no bin named ${bin}`);
  return resolve(dirname(manifestPath), relative);
}

/** A running command and everything it printed. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Both, for "is this anywhere in its output" checks. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Runs a bin with only the given environment on top of PATH and the like (no HOTQ_* or REDIS_URL of ours). */
export function run(pkg: '@hotq/api' | '@hotq/worker', args: string[], env: Record<string, string> = {}): Running {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith('HOTQ_') && key !== 'REDIS_URL' && key !== 'PORT' && key !== 'HOST') clean[key] = value;
  }
  const bin = pkg === '@hotq/api' ? binOf(pkg, 'hotq-api') : binOf(pkg, 'hotq-worker');
  const child = spawn(process.execPath, [bin, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => child.on('exit', (code, signal) => resolveExit({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    output: () => `${out}\n${err}`,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `probe` holds (polling), or throws naming `what` and the process's output. */
export async function until(probe: () => boolean | Promise<boolean>, what: string, running?: Running, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${running ? `; output:\n${running.output().slice(-3_000)}` : ''}`);
    if (running && running.child.exitCode !== null) throw new Error(`the process exited (${running.child.exitCode}) before ${what}; output:\n${running.output().slice(-3_000)}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

/** Starts hotq-api on a free port; resolves with it and its base URL once it prints "listening on". */
export async function startApi(args: string[], env: Record<string, string> = {}): Promise<{ api: Running; base: string }> {
  const api = run('@hotq/api', ['--port', '0', ...args], env);
  let base = '';
  await until(() => {
    const match = /listening on (http:\/\/\S+)/.exec(api.stdout());
    if (match) base = match[1]!;
    return match !== null;
  }, 'hotq-api to listen', api);
  return { api, base };
}

/** Starts hotq-worker; resolves once it logs that it started. */
export async function startWorker(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const worker = run('@hotq/worker', args, env);
  await until(() => worker.stdout().includes('"worker started"'), 'hotq-worker to start', worker);
  return worker;
}

/** Polls GET /jobs/:id until the job is terminal; returns it. */
export async function finished(base: string, id: string, headers: Record<string, string> = {}, ms = 30_000): Promise<{ status: string; [key: string]: unknown }> {
  let job: { status: string } = { status: 'unknown' };
  await until(async () => {
    job = (await (await fetch(`${base}/jobs/${id}`, { headers })).json()) as { status: string };
    return ['succeeded', 'failed', 'cancelled'].includes(job.status);
  }, `job ${id} to end`, undefined, ms);
  return job;
}
