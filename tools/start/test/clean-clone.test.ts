import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultOf, startStack, submit } from './_stack.js';

// What a newcomer does: clone, npm ci, npm start; then one demo job over HTTP, and Ctrl-C.
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
let server: RedisServer;
let folder: string;

beforeAll(async () => {
  server = await startRedisServer();
  folder = mkdtempSync(join(tmpdir(), 'hotq-clone-'));
});
afterAll(async () => {
  await server.dispose();
  rmSync(folder, { recursive: true, force: true });
});

function processesUnder(path: string): string[] {
  const list = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return list.split('\n').filter((line) => line.includes(path) && !line.includes('ps -eo'));
}

describe('a fresh clone', () => {
  it('installs with npm ci, runs with npm start, serves a demo job, and stops leaving no process behind', { timeout: 600_000 }, async () => {
    const clone = join(folder, 'hotq');
    execFileSync('git', ['clone', '--quiet', repo, clone]);
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, stdio: 'ignore' });

    const stack = await startStack('npm', ['start'], {
      cwd: clone,
      env: { ...process.env, REDIS_URL: server.url, PORT: '0' },
      timeoutMs: 300_000,
    });
    const id = await submit(stack.base, { type: 'wordcount', params: { text: 'the cat and the hat' } });
    expect(await resultOf(stack.base, id)).toMatchObject({ words: 5, unique: 4, top: [['the', 2], expect.anything(), expect.anything(), expect.anything()] });

    // npm passes Ctrl-C on and then ends itself with the same signal, as it does in a terminal.
    expect([0, 'SIGINT']).toContain(await stack.stop());
    await expect(fetch(`${stack.base}/healthz`)).rejects.toThrow();
    // npm, turbo's build, the API and the worker: none of them outlives Ctrl-C.
    const deadline = Date.now() + 10_000;
    while (processesUnder(clone).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(processesUnder(clone)).toEqual([]);
  });
});
