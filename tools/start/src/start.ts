#!/usr/bin/env node
// npm start: Redis (found or started), the API and one worker with the demo handlers, on one machine.
// Ctrl-C stops everything, children first, then a Redis we started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findRedis, NoRedisError } from './find-redis.js';

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

function masked(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
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
    throw error;
  }
  const where = { REDIS_URL: 'from REDIS_URL', local: 'already running on 127.0.0.1:6379', private: 'started privately, data in .hotq/redis' };
  console.log(`redis: ${masked(redis.url)} (${where[redis.origin]})`);

  const env = { ...process.env, REDIS_URL: redis.url };
  const port = process.env.PORT ?? '3000';
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
    const base = match[1];
    console.log(`hotq is up: ${base}  (dashboard ${base}/, API reference ${base}/openapi.json)`);
    console.log('submit a demo job:');
    console.log(`  curl -s -X POST ${base}/jobs -H 'content-type: application/json' -d '{"type":"wordcount","params":{"text":"to be or not to be"}}'`);
    console.log('read its result (use the id from the answer):');
    console.log(`  curl -s ${base}/jobs/<id>/result`);
    console.log('Ctrl-C stops everything.');
  });
}

await main();
