// A consumer process stopped with Ctrl-C must end at once, not when some socket timer runs out:
// the tutorial promises it, and a process manager waits on it. Real child processes, real Redis.
import { uniqueName } from '@hotq/test-harness';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const url = inject('redisUrl');
const entry = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js')).href;

/** The tutorial's consumer: waits in BLPOP until SIGINT aborts it, then closes the queue. */
const consumer = (name: string): string => `
  import { HotQueue } from ${JSON.stringify(entry)};
  const queue = new HotQueue(${JSON.stringify(name)}, { url: process.env.REDIS_URL });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  console.log('waiting');
  for await (const item of queue.consume({ signal: stop.signal })) console.log('got', item);
  await queue.close();
`;

/** Starts the consumer, waits until it waits in BLPOP, sends SIGINT, and gives the ms until it exited. */
async function msFromCtrlCToExit(name: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', consumer(name)], {
    env: { ...process.env, REDIS_URL: url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while (!stdout.includes('waiting') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 300)); // now inside BLPOP
  const sentAt = performance.now();
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(killer);
  return { ms: performance.now() - sentAt, code, stderr };
}

describe('HotQueue: Ctrl-C', () => {
  it('a consumer process waiting for items exits well before the 2 s it took before, on SIGINT', async () => {
    const { ms, code, stderr } = await msFromCtrlCToExit(uniqueName('ctrl-c'));
    expect(code, stderr).toBe(0);
    // About 40 ms on a quiet machine; the bound leaves room for a loaded one and still tells the old
    // 2 s disconnect wait apart.
    expect(ms).toBeLessThan(1_500);
  });
});
