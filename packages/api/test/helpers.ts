// Shared by the api tests: a real app on a real Redis, reached over real HTTP.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { JobsStore, type Job, type JobMessage } from '@hotq/jobs-store';
import { TaskQueue } from '@hotq/queue-core';
import { uniqueName } from '@hotq/test-harness';
import { Redis, type Cluster } from 'ioredis';
import { inject } from 'vitest';
import { createApp, type CreateAppOptions, type HotqApp } from '../src/index.js';

/** A connection made the way the hotq-api command makes it. */
export async function connect(url = inject('redisUrl')): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * times, 500),
  });
  redis.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    setTimeout(() => reject(new Error('redis did not become ready')), 5_000).unref();
  });
  return redis;
}

/** A running API on its own queue. */
export interface TestApi {
  base: string;
  app: HotqApp;
  server: Server;
  redis: Redis;
  prefix: string;
  queue: string;
  /** The hash-tagged key base of the queue and its records. */
  keyBase: string;
  close(): Promise<void>;
}

export async function startApi(options: Partial<Omit<CreateAppOptions, 'redis'>> & { redis?: Redis; url?: string } = {}): Promise<TestApi> {
  const { url, ...rest } = options;
  const redis = rest.redis ?? (await connect(url));
  const prefix = rest.prefix ?? uniqueName('p');
  const queue = rest.queue ?? uniqueName('q');
  const app = createApp({ ...rest, redis, prefix, queue });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    app,
    server,
    redis,
    prefix,
    queue,
    keyBase: `{${prefix}:${queue}}`,
    close: async () => {
      await app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!rest.redis) redis.disconnect();
    },
  };
}

/** An answer, its body read as JSON when it is JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export async function call(base: string, method: string, path: string, init: { body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; token?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | Buffer | undefined;
  if (init.raw !== undefined) body = init.raw;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let parsed: unknown = undefined;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Plays the worker's part with the public surfaces of queue-core and jobs-store (decision 0003). */
export class TestConsumer {
  readonly store: JobsStore;
  readonly queue: TaskQueue<JobMessage>;

  constructor(redis: Redis | Cluster, prefix: string, queueName: string, partitions = 1) {
    this.store = new JobsStore({ redis, prefix, queue: queueName, partitions });
    this.queue = new TaskQueue<JobMessage>({ redis, name: queueName, prefix, partitions, hooks: this.store.queueHooks() });
  }

  async take(leaseMs?: number) {
    const { messages } = await this.queue.reserve({ count: 1, consumer: 'test-worker', ...(leaseMs ? { leaseMs } : {}) });
    const message = messages[0];
    if (!message) throw new Error('nothing to reserve');
    return message;
  }

  async succeed(lease: { id: string; token: string }, result: unknown): Promise<boolean> {
    return await this.queue.ack(lease, { vars: this.store.completion(result).vars });
  }

  async fail(lease: { id: string; token: string }, message: string, code?: string): Promise<string> {
    return await this.queue.nack(lease, { dead: true, reason: message, vars: this.store.failure({ message, ...(code ? { code } : {}) }).vars });
  }

  /** Runs the next job to success with `result`. */
  async runOne(result: unknown): Promise<string> {
    const message = await this.take();
    await this.succeed(message, result);
    return message.id;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

/** Every key of a queue and its records with a fingerprint of its value, to prove nothing changed. */
export async function snapshot(redis: Redis, keyBase: string): Promise<Map<string, string>> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyBase.replace(/[{}[\]*?]/g, (c) => `\\${c}`)}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const result = new Map<string, string>();
  for (const key of keys.sort()) {
    const dump = await redis.dumpBuffer(key);
    result.set(key, dump ? dump.toString('base64') : '');
  }
  return result;
}

export const TERMINAL: ReadonlyArray<Job['status']> = ['succeeded', 'failed', 'cancelled'];

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
