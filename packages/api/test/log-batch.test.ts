import { pbkdf2 } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { batchedLog } from '../src/internal/log-batch.js';

// A real sonic-boom destination writing a real file, as hotq-api's is (to stderr).
const dirs: string[] = [];
function logFile(): { file: string; destination: ReturnType<typeof pino.destination> } {
  const dir = mkdtempSync(join(tmpdir(), 'hotq-log-batch-'));
  dirs.push(dir);
  const file = join(dir, 'log');
  return { file, destination: pino.destination({ dest: file, sync: false, mkdir: false }) };
}
const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('batchedLog', () => {
  it('holds lines until the batch is full, then passes them on in one write, in order', async () => {
    const { file, destination } = logFile();
    await new Promise((resolve) => destination.once('ready', resolve));
    const writes: number[] = [];
    destination.on('write', (n: number) => writes.push(n));
    const log = batchedLog(destination, { maxChars: 100, maxDelayMs: 60_000 });
    const logger = pino({ base: null, timestamp: false }, log);
    for (let i = 0; i < 3; i += 1) logger.info({ i }, 'short');
    expect(writes).toEqual([]);
    for (let i = 3; i < 10; i += 1) logger.info({ i }, 'short');
    await waitFor(() => writes.length > 0, 2_000);
    log.flushSync();
    expect(lines(file).map((line) => (JSON.parse(line) as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Ten lines of about 35 characters in batches of 100: far fewer writes than lines.
    expect(writes.length).toBeLessThanOrEqual(5);
  });

  it('passes on a batch that stays small once its delay is over', async () => {
    const { file, destination } = logFile();
    const logger = pino({ base: null }, batchedLog(destination, { maxChars: 1_000_000, maxDelayMs: 50 }));
    logger.warn('alone');
    await waitFor(() => {
      try {
        return lines(file).length === 1;
      } catch {
        return false;
      }
    }, 2_000);
    expect((JSON.parse(lines(file)[0] ?? '{}') as { msg: string }).msg).toBe('alone');
  });

  it('writes everything out synchronously on flushSync, as an exit needs', async () => {
    const { file, destination } = logFile();
    await new Promise((resolve) => destination.once('ready', resolve));
    const log = batchedLog(destination, { maxChars: 1_000_000, maxDelayMs: 60_000 });
    const logger = pino({ base: null }, log);
    // Every thread of libuv's pool busy for a while: an asynchronous write would wait behind them,
    // as it may at a real exit, and miss it.
    const busy = Array.from({ length: 8 }, async () => await new Promise((resolve) => pbkdf2('x', 'y', 200_000, 32, 'sha256', resolve)));
    logger.error('last words');
    log.flushSync();
    expect(lines(file).map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['last words']);
    await Promise.all(busy);
  });
});
