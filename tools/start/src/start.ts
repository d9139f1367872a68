#!/usr/bin/env node
// npm start: Redis (found or started), the API and one worker with the demo handlers, on one machine.
// Ctrl-C stops everything, children first, then a Redis we started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@hotq/queue-core';
import { findRedis, NoRedisError } from './find-redis.js';
import { describeSettings, settingsFrom } from './settings.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);

/** The path of a workspace package's bin, found through its package.json. */
function binOf(pkg: string, bin: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: Record<string, string> };
  const relative = manifest.bin?.[bin];
  if (!relative) throw new Error(`${pkg} has no bin named ${bin}`);
  return resolve(dirname(manifestPath), relative);
}

async function main(): Promise<void> {
  let redis;
  try {
    redis = await findRedis(root);
  } catch (error) {
    if (error instanceof NoRedisError) {
      console.error(error.message);
      process.exit(1);
    }
    if (error instanceof InvalidArgumentError) {
      // REDIS_CLUSTER_NODES, REDIS_SENTINELS and the rest do not describe a deployment: a usage error.
      console.error(`hotq start: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const settings = settingsFrom(process.env, redis);
  for (const line of describeSettings(settings)) console.log(line);

  // A Cluster or Sentinel deployment reaches the children through the same variables it came from.
  const env = { ...process.env, REDIS_URL: redis.url };
  const port = settings.port;
  const children: ChildProcess[] = [];
  // The children get process groups of their own: a terminal's Ctrl-C reaches only this process,
  // which then stops each child exactly once (a second signal would make a worker quit at once).
  const api = spawn(process.execPath, [binOf('@hotq/api', 'hotq-api'), '--port', port], { env, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const worker = spawn(process.execPath, [binOf('@hotq/worker', 'hotq-worker')], { env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  children.push(api, worker);

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await Promise.all(children.map((child) => new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    })));
    await redis.server?.stop();
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  for (const child of children) {
    child.once('exit', (code) => {
      if (!stopping) {
        console.error(`a hotq process exited unexpectedly (code ${code}); stopping everything`);
        void stop(1);
      }
    });
  }

  const lines = createInterface({ input: api.stdout! });
  lines.on('line', (line) => {
    const match = /^listening on (http:\/\/\S+)/.exec(line);
    if (!match) {
      console.log(line);
      return;
    }
    const base = match[1] as string;
    // The API listens before its Redis connection is up (and answers 503 until then): "up" is said
    // once it is ready, so that the first command pasted from here works.
    void untilReady(base).then((ready) => {
      console.log(`hotq is up: ${base}  (dashboard ${base}/, API reference ${base}/openapi.json)`);
      if (!ready) console.log(`note: the API does not say it is ready yet (${base}/readyz); it answers 503 until Redis is reachable`);
      console.log('submit a demo job:');
      console.log(`  curl -s -X POST ${base}/jobs -H 'content-type: application/json' -d '{"type":"wordcount","params":{"text":"to be or not to be"}}'`);
      console.log('read its result (use the id from the answer):');
      console.log(`  curl -s ${base}/jobs/<id>/result`);
      console.log('Ctrl-C stops everything.');
      void noteEarlierJobs(base);
    });
  });
}

/** Whether the API's /readyz answers 200 within `withinMs` (asked every 50 ms). */
async function untilReady(base: string, withinMs = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline;) {
    const status = await fetch(`${base}/readyz`).then(async (answer) => (await answer.arrayBuffer(), answer.status), () => 0);
    if (status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/**
 * Says so when the queue already holds jobs (earlier runs, or other programs on a shared Redis),
 * which would otherwise surprise a newcomer in /stats. Quiet when it cannot tell.
 */
async function noteEarlierJobs(base: string): Promise<void> {
  // The API says it listens before its Redis connection is up: give it a few tries.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const answer = await fetch(`${base}/stats`).then(async (r) => (r.ok ? ((await r.json()) as { counts?: Record<string, number> }) : undefined), () => undefined);
    if (answer?.counts) {
      const total = Object.values(answer.counts).reduce((sum, count) => sum + count, 0);
      if (total > 0) console.log(`note: this queue already holds ${total} job${total === 1 ? '' : 's'} from earlier runs or other programs (GET /stats counts them)`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

await main();
