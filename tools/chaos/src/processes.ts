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

/** Starts hotq-api on a free port and resolves with its base URL once it listens. */
export async function startApi(redisUrl: string, queue: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [binOf('@hotq/api', 'hotq-api'), '--port', '0', '--redis-url', redisUrl, '--queue', queue, '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error('hotq-api did not print "listening on" within 20 s')), 20_000);
    child.once('exit', (code) => reject(new Error(`hotq-api exited with code ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolveBase(match[1] as string);
      }
    });
  });
  return { child, base };
}

/** Starts one hotq-worker with the chaos handlers. */
export function startWorker(redisUrl: string, queue: string, handlers: string): ChildProcess {
  return spawn(process.execPath, [
    binOf('@hotq/worker', 'hotq-worker'),
    '--redis-url', redisUrl, '--queue', queue, '--concurrency', '4', '--handlers', handlers,
    '--lease-ms', '2000', '--grace-ms', '1000', '--log-level', 'error',
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
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
