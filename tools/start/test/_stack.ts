import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A running `npm start` (or tools/start/dist/start.js) and what it printed. */
export interface Stack {
  child: ChildProcess;
  base: string;
  output: string[];
  /** Ctrl-C, then the exit code (or the signal that ended it, as npm ends on SIGINT). */
  stop(): Promise<number | string | null>;
}

/** Starts the stack with `command args` and waits for its "hotq is up" line. */
export async function startStack(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Stack> {
  // A process group of its own, so that stop() is a terminal's Ctrl-C: SIGINT to the whole group
  // (npm, the shell it starts and node), not only to the first process.
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output: string[] = [];
  child.stderr!.on('data', (data) => output.push(String(data)));
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "hotq is up" line within ${options.timeoutMs} ms: ${output.join('')}`)), options.timeoutMs);
    child.once('exit', (code) => reject(new Error(`the stack exited with code ${code}: ${output.join('')}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      const match = /^hotq is up: (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
  });
  // The API listens before its Redis connection is up; wait until it says it is ready.
  const ready = Date.now() + options.timeoutMs;
  while ((await fetch(`${base}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > ready) throw new Error(`${base}/readyz never answered 200`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return {
    child, base, output,
    stop: async () => {
      const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      process.kill(-(child.pid as number), 'SIGINT');
      return await exited;
    },
  };
}

/** Submits a job over HTTP and returns its id. */
export async function submit(base: string, body: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status !== 201) throw new Error(`POST /jobs answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

/** Polls GET /jobs/:id/result until it answers 200 (or gives up). */
export async function resultOf(base: string, id: string, timeoutMs = 30_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`${base}/jobs/${id}/result`);
    if (response.status === 200) return await response.json();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${id} did not succeed within ${timeoutMs} ms`);
}
