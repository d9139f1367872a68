import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** A child process this bench started, with the output it printed so far (for error messages). */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Runs `node <script> ...args`, keeping the last 4 KB of its stdout and stderr. */
export function startNode(script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4096);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return {
    process: child,
    output: () => output,
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until the child prints a line matching `pattern`; rejects if it exits or `timeoutMs` passes. */
export async function waitForLine(child: Child, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return await new Promise((resolve, reject) => {
    let seen = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      child.process.stdout?.off('data', onData);
      child.process.off('exit', onExit);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`process exited (code ${code}) before printing ${pattern}: ${child.output().trim()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`process did not print ${pattern} within ${timeoutMs} ms: ${child.output().trim()}`));
    }, timeoutMs);
    child.process.stdout?.on('data', onData);
    child.process.on('exit', onExit);
  });
}

/** Runs `node <script> ...args` to the end and returns its stdout; rejects on a non-zero exit. */
export async function runNode(script: string, args: string[], timeoutMs: number): Promise<string> {
  const child = startNode(script, args, process.env);
  let stdout = '';
  child.process.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(child.process, 'close')) as [number | null];
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${script} exited with ${code}: ${child.output().trim()}`);
  return stdout;
}
