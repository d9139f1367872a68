// Every snippet of the tutorial is a file in examples/; these tests type-check them all and run
// them as a reader would, as processes, against the run's throwaway Redis.
import { createApp } from '@hotq/api';
import { HotQueue } from '@hotq/queue-core';
import { uniqueName } from '@hotq/test-harness';
import { createWorker, type Worker } from '@hotq/worker';
import { Redis } from 'ioredis';
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { findRepoRoot } from '../src/paths.js';
import { compileExamples, Run, type CompiledExamples } from './example-runner.js';
import { HOTQUEUE_STANDIN_DIR, pythonWithRedis } from './python.js';

const redisUrl = inject('redisUrl');
const docsFolder = join(dirname(fileURLToPath(import.meta.url)), '..');
const examplesFolder = join(docsFolder, 'examples');
const root = findRepoRoot(docsFolder);

let compiled: CompiledExamples;
let redis: Redis;
const runs: Run[] = [];

/** Runs a compiled TypeScript example with REDIS_URL set to the test server. */
function example(name: string, args: string[] = [], env: Record<string, string> = {}): Run {
  const run = new Run(process.execPath, [join(compiled.outDir, name.replace(/\.ts$/, '.js')), ...args], { REDIS_URL: redisUrl, ...env });
  runs.push(run);
  return run;
}

/** Deletes the keys an example uses (they have fixed names), so reruns start clean. */
async function clearKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

beforeAll(() => {
  compiled = compileExamples(docsFolder, root);
  redis = new Redis(redisUrl);
});

afterEach(() => {
  for (const run of runs.splice(0)) run.kill();
});

afterAll(async () => {
  compiled.dispose();
  await redis.quit();
});

it('every TypeScript example type-checks (strict, with the repository options)', () => {
  expect(compiled.diagnostics).toEqual([]);
});

describe('exercise 1: two terminals share a HotQueue', () => {
  it('terminal 1 puts and counts; terminal 2 consumes until Ctrl-C', async () => {
    await redis.del('hotqueue:tutorial');
    const producer = example('hotqueue-producer.ts');
    expect(await producer.exit(), producer.describe()).toBe(0);
    expect(producer.stdout).toBe('5 items waiting in hotqueue:tutorial\n');

    const consumer = example('hotqueue-consumer.ts');
    await consumer.waitFor(/got 3\n/);
    consumer.interrupt();
    expect(await consumer.exit(), consumer.describe()).toBe(0);
    expect(consumer.stdout).toBe(
      [
        'waiting for items on hotqueue:tutorial (Ctrl-C to stop)',
        'got hello from terminal 1',
        "got { text: 'to be or not to be' }",
        'got 1',
        'got 2',
        'got 3',
        '',
      ].join('\n'),
    );
    expect(await redis.llen('hotqueue:tutorial')).toBe(0);
  });
});

describe('exercise 3: the worker decorator', () => {
  it('worker(options)(fn) drains and stops; worker(fn) passes its arguments first and stops at null', async () => {
    await redis.del('hotqueue:tutorial');
    const producer = example('hotqueue-producer.ts');
    expect(await producer.exit(), producer.describe()).toBe(0);

    const worker = example('hotqueue-worker.ts');
    await worker.waitFor(/waiting for more/);
    const queue = new HotQueue('tutorial', { url: redisUrl });
    await queue.put('a late item');
    await queue.close();
    await worker.waitFor(/got a late item\n/);
    const stop = example('hotqueue-stop.ts');
    expect(await stop.exit(), stop.describe()).toBe(0);
    expect(await worker.exit(), worker.describe()).toBe(0);
    expect(worker.stdout).toBe(
      [
        'drained hello from terminal 1',
        "drained { text: 'to be or not to be' }",
        'drained 1',
        'drained 2',
        'drained 3',
        'the queue is empty; waiting for more (put null to stop)',
        'got a late item',
        '',
      ].join('\n'),
    );
  });
});

describe('the same job through the reliable TaskQueue', () => {
  it('a consumer that crashes holding the job loses nothing: the job comes back as attempt 2', async () => {
    await clearKeys('{hotq:wordcount}*');
    const producer = example('taskqueue-producer.ts');
    expect(await producer.exit(), producer.describe()).toBe(0);
    const [, id] = producer.stdout.match(/^(\S+): queued\n/) ?? [];
    expect(id, producer.describe()).toBeDefined();
    expect(producer.stdout).toContain('ready 1, leased 0, delayed 0, dead 0\n');

    const crashing = example('taskqueue-consumer.ts', ['--crash']);
    expect(await crashing.exit(), crashing.describe()).toBe(1);
    expect(crashing.stdout).toContain(`${id}: attempt 1 of 3\n`);

    // The lease is 5 s: the next consumer gets the job once it runs out.
    const consumer = example('taskqueue-consumer.ts');
    await consumer.waitFor(new RegExp(`${id}: 10 words\n`), 15_000);
    consumer.interrupt();
    expect(await consumer.exit(), consumer.describe()).toBe(0);
    expect(consumer.stdout).toContain(`${id}: attempt 2 of 3\n${id}: 10 words\n`);
  });
});

describe('a Python hotqueue producer feeding a TypeScript worker', () => {
  // The producer runs on CPython with the real redis module; hotqueue itself (not installable
  // here) is a stand-in that writes what hotqueue's put writes: see test/python/hotqueue.py.
  let python: string;
  beforeAll(() => {
    python = pythonWithRedis();
  });

  function produce(flags: string[]): void {
    const run = spawnSync(python, ['-B', join(examplesFolder, 'python-producer.py'), ...flags], {
      encoding: 'utf8',
      env: { ...process.env, REDIS_URL: redisUrl, PYTHONPATH: HOTQUEUE_STANDIN_DIR },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(`put 3 items on hotqueue:texts (${flags.length > 0 ? 'json' : 'pickle'})\n`);
  }

  it.each([
    ['pickle (hotqueue\'s default)', []],
    ['json', ['--json']],
  ])('with %s, on the Redis REDIS_URL names', async (_name, flags) => {
    await redis.del('hotqueue:texts');
    produce(flags);
    const worker = example('python-consumer.ts', flags);
    expect(await worker.exit(), worker.describe()).toBe(0);
    expect(worker.stdout).toBe('text 1: 6 words\ntext 2: 9 words\n');
    expect(await redis.llen('hotqueue:texts')).toBe(0);
  });

  it('a pickle read as JSON: the error names the cause, the item is kept aside, the rest stays queued', async () => {
    await redis.del('hotqueue:texts', 'hotqueue:texts:undecodable');
    produce([]);
    const worker = example('python-consumer.ts', ['--json']);
    expect(await worker.exit(), worker.describe()).toBe(1);
    expect(worker.stderr).toMatch(/^json: the bytes are not valid UTF-8\. The bytes look like a Python pickle \(protocol 4\)/);
    expect(worker.stderr).toContain('kept its 51 bytes in hotqueue:texts:undecodable\n');
    const [kept] = await redis.lrangeBuffer('hotqueue:texts:undecodable', 0, -1);
    expect(kept?.subarray(0, 2).toString('hex')).toBe('8004'); // the pickle, byte for byte
    expect(await redis.llen('hotqueue:texts')).toBe(2);
  });
});

describe('the HTTP API', () => {
  let api: { app: ReturnType<typeof createApp>; server: Server; redis: Redis; worker: Worker; url: string };

  beforeAll(async () => {
    const queue = uniqueName('docs');
    const apiRedis = new Redis(redisUrl);
    const app = createApp({ redis: apiRedis, queue });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const worker = createWorker({ redisUrl, queue });
    await worker.start();
    api = { app, server, redis: apiRedis, worker, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  });

  afterAll(async () => {
    await api.worker.stop();
    await new Promise((resolve) => api.server.close(resolve));
    await api.app.close();
    await api.redis.quit();
  });

  it('the curl session submits, follows, reads the result, shows an error and the stats', async () => {
    const run = new Run('bash', [join(examplesFolder, 'http-api.sh')], { API: api.url });
    runs.push(run);
    expect(await run.exit(), run.describe()).toBe(0);
    const lines = run.stdout.split('\n');
    const submitted = JSON.parse(lines[0] ?? '') as { id: string; status: string; type: string };
    expect(submitted.type).toBe('wordcount');
    // The answer is the record as written; a fast worker may have taken the job already.
    expect(['queued', 'running', 'succeeded']).toContain(submitted.status);
    expect(run.stdout).toContain(`id: end\nevent: status\ndata: {"id":"${submitted.id}","type":"wordcount"`);
    expect(run.stdout).toMatch(/id: end\nevent: status\ndata: \{[^\n]*"status":"succeeded"/);
    expect(lines).toContain(`{"words":10,"unique":8,"top":[["be",2],["to",2],["is",1],["not",1],["or",1],["question",1],["that",1],["the",1]]}`);
    expect(run.stdout).toContain('{"error":{"code":"invalid_request","message":"type:');
    expect(run.stdout).toMatch(/\{"counts":\{"waiting":\d+,"queued":\d+,"delayed":\d+,"running":\d+,"succeeded":[1-9]/);
  });
});

describe('your own job type: the API and a worker in one process', () => {
  it('serves shout jobs until Ctrl-C', async () => {
    const service = example('own-service.ts', [], { PORT: '0' });
    const [, url] = await service.waitFor(/listening on (http:\/\/\S+) \(worker \S+ serves (.+)\)\n/);
    expect(service.stdout).toMatch(/serves echo, fail, shout, sleep, stats, wordcount\)/);

    const submit = async (params: Record<string, unknown>): Promise<string> => {
      const response = await fetch(`${url}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'shout', params }),
      });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };
    const settled = async (id: string): Promise<{ status: string; attempts: number; error: unknown }> => {
      for (let i = 0; i < 200; i += 1) {
        const job = (await (await fetch(`${url}/jobs/${id}`)).json()) as { status: string; attempts: number; error: unknown };
        if (job.status === 'succeeded' || job.status === 'failed') return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`job ${id} did not finish`);
    };

    const good = await submit({ text: 'hello' });
    expect(await settled(good)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await (await fetch(`${url}/jobs/${good}/result`)).json()).toEqual({ text: 'HELLO!' });

    const bad = await submit({ text: 42 });
    expect(await settled(bad)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'invalid_params' } });

    service.interrupt();
    expect(await service.exit(), service.describe()).toBe(0);
  });
});
