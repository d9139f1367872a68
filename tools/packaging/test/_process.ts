// A long-running child process (an API, a worker) with its output kept, for tests that talk to it.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Running {
  child: ChildProcess;
  output(): string;
  /** Resolves with the first line of stdout that matches, or rejects (with the output) on exit or timeout. */
  line(pattern: RegExp, ms?: number): Promise<string>;
  /** SIGTERM, then the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Running {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const output = (): string => `--- stdout\n${out}\n--- stderr\n${err}`;
  return {
    child,
    output,
    async line(pattern, ms = 30_000) {
      const end = Date.now() + ms;
      for (;;) {
        const found = out.split('\n').find((l) => pattern.test(l));
        if (found !== undefined) return found;
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${command} exited before printing ${pattern}\n${output()}`);
        if (Date.now() > end) throw new Error(`${command} printed no ${pattern} within ${ms} ms\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}
