import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { describeSettings, settingsFrom } from '../src/settings.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRedis, NoRedisError } from '../src/find-redis.js';
import { resultOf, startStack, submit } from './_stack.js';

const here = dirname(fileURLToPath(import.meta.url));
const startScript = resolve(here, '../dist/start.js');
// Keys of their own on the shared test server; the second test finds the first one's job there.
const prefix = uniqueName('start');
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.dispose();
});

describe('npm start', () => {
  it('runs the API and a worker on the given Redis, serves a demo job, and stops cleanly on Ctrl-C', async () => {
    const stack = await startStack(process.execPath, [startScript], { env: { ...process.env, REDIS_URL: server.url, PORT: '0', HOTQ_PREFIX: prefix }, timeoutMs: 60_000 });
    let stopped = false;
    try {
      // First of all it says which Redis, keys and port it uses, and where each came from.
      expect(stack.output.slice(0, 3)).toEqual([
        'hotq start: using',
        `  redis   ${server.url}  (from REDIS_URL)`,
        `  prefix  ${prefix}  (HOTQ_PREFIX)    queue  jobs  (HOTQ_QUEUE)    port  0  (PORT)`,
      ]);
      const id = await submit(stack.base, { type: 'wordcount', params: { text: 'to be or not to be' } });
      expect(await resultOf(stack.base, id)).toMatchObject({ words: 6, unique: 4 });
      // The lines after "hotq is up": copy-paste commands for the first job.
      expect(stack.output.join('\n')).toMatch(/curl -s -X POST .*\/jobs/);
      expect(await stack.stop()).toBe(0);
      stopped = true;
      // Nothing is left listening.
      await expect(fetch(`${stack.base}/healthz`)).rejects.toThrow();
    } finally {
      if (!stopped) await stack.stop();
    }
  });

  it('streams a queued job through running to succeeded to an SSE client, with the real worker', async () => {
    const stack = await startStack(process.execPath, [startScript], { env: { ...process.env, REDIS_URL: server.url, PORT: '0', HOTQ_PREFIX: prefix }, timeoutMs: 60_000 });
    try {
      // The first test's job is still there: a newcomer is told, rather than left puzzled by /stats.
      await expect.poll(() => stack.output.join('\n'), { timeout: 10_000 }).toContain('note: this queue already holds 1 job from earlier runs');
      // Keep the single worker busy, so the demo job waits in the queue while we subscribe.
      await submit(stack.base, { type: 'sleep', params: { ms: 1_500 } });
      const id = await submit(stack.base, { type: 'sleep', params: { ms: 300 } });
      const response = await fetch(`${stack.base}/jobs/${id}/events`);
      expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
      const text = await response.text(); // the stream ends after the terminal status
      const statuses = [...text.matchAll(/event: status\ndata: (.*)\n/g)].map((match) => (JSON.parse(match[1] as string) as { status: string }).status);
      expect(statuses).toEqual(['queued', 'running', 'succeeded']);
    } finally {
      await stack.stop();
    }
  });

  it('warns that a Redis found on 6379 is shared, says how to choose another, and never prints a password', () => {
    const lines = describeSettings(settingsFrom({ HOTQ_QUEUE: 'mail' }, { url: 'redis://me:secret@127.0.0.1:6379/0', origin: 'local' }));
    expect(lines[1]).toBe('  redis   redis://me:***@127.0.0.1:6379/0  (already running on 127.0.0.1:6379, shared with whatever else uses it)');
    expect(lines[2]).toBe('  prefix  hotq  (HOTQ_PREFIX)    queue  mail  (HOTQ_QUEUE)    port  3000  (PORT)');
    expect(lines.slice(3).join('\n')).toMatch(/REDIS_URL=redis:\/\/127\.0\.0\.1:6379\/1 npm start[\s\S]*HOTQ_PREFIX=mine npm start/);
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
