import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedis, NoRedisError } from '../src/find-redis.js';

const here = dirname(fileURLToPath(import.meta.url));
const startScript = resolve(here, '../dist/start.js');
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.dispose();
});

describe('npm start', () => {
  it('runs the API and a worker on the given Redis, serves a demo job, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [startScript], {
      env: { ...process.env, REDIS_URL: server.url, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stderr.on('data', (data) => output.push(String(data)));
    const base = await new Promise<string>((resolveBase, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "hotq is up" line: ${output.join('')}`)), 60_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        output.push(line);
        const match = /^hotq is up: (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolveBase(match[1] as string);
        }
      });
    });
    expect(output.join('\n')).toMatch(/curl -s -X POST/);

    const submitted = await fetch(`${base}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'wordcount', params: { text: 'to be or not to be' } }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as { id: string };
    let result: Response | undefined;
    for (let i = 0; i < 100; i++) {
      result = await fetch(`${base}/jobs/${id}/result`);
      if (result.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(result?.status).toBe(200);
    expect(await result!.json()).toMatchObject({ words: 6, unique: 4 });

    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Nothing is left listening.
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('says how to get Redis, and fails, when none can be had', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hotq-start-'));
    const savedPath = process.env.PATH;
    process.env.PATH = '';
    try {
      const port = await freePort();
      await expect(findRedis(root, {}, port)).rejects.toBeInstanceOf(NoRedisError);
      await expect(findRedis(root, {}, port)).rejects.toThrow(/apt-get install redis-server[\s\S]*brew install redis[\s\S]*docker compose/);
    } finally {
      process.env.PATH = savedPath;
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('starts a private Redis with its data under .hotq/ when nothing answers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hotq-start-'));
    try {
      const choice = await findRedis(root, {}, await freePort());
      expect(choice.origin).toBe('private');
      expect(choice.server?.dir).toBe(join(root, '.hotq', 'redis'));
      await choice.server?.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
