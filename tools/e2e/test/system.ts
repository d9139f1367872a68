// A whole hotq on one machine for a test file: a private redis-server, the API (createApp) on a free
// port, and a worker (createWorker) with the demo handlers plus a few made for these tests.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type HotqApp } from '@hotq/api';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { createWorker, demoHandlers, NonRetryableError, type Handlers, type Worker } from '@hotq/worker';
import { Redis } from 'ioredis';

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Gates the `gated` jobs wait at, opened by the test: `openGate(name)`. */
const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
function gate(name: string): { promise: Promise<void>; open: () => void } {
  let entry = gates.get(name);
  if (!entry) {
    let open = (): void => {};
    const promise = new Promise<void>((resolve) => (open = resolve));
    entry = { promise, open };
    gates.set(name, entry);
  }
  return entry;
}
/** Lets the `gated` jobs waiting at `name` finish. */
export const openGate = (name: string): void => gate(name).open();

/**
 * The demo types, and: `gated` (`{ gate }`: reports 50%, waits until the test opens the gate or the job
 * is cancelled, then reports 100%), `steps` (`{ steps, ms }`: reports progress after each step, returns `{ steps }`)
 * and `doomed` (fails at once, never retried).
 */
export const testHandlers: Handlers = {
  ...demoHandlers,
  gated: async (job, ctx) => {
    await ctx.progress(50);
    const aborted = new Promise<never>((_, reject) => {
      if (ctx.signal.aborted) reject(ctx.signal.reason);
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
    await Promise.race([gate(String(job.params.gate)).promise, aborted]);
    await ctx.progress(100);
    return { gate: job.params.gate };
  },
  steps: async (job, ctx) => {
    const steps = Number(job.params.steps ?? 5);
    const ms = Number(job.params.ms ?? 200);
    for (let step = 1; step <= steps; step += 1) {
      await pause(ms, ctx.signal);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      await ctx.progress(Math.round((step / steps) * 100));
    }
    return { steps };
  },
  doomed: () => {
    throw new NonRetryableError('doomed on purpose', { code: 'doomed' });
  },
};

export interface System {
  url: string;
  redis: Redis;
  server: RedisServer;
  worker: Worker;
  close(): Promise<void>;
}

export interface SystemOptions {
  apiToken?: string;
  readToken?: string;
  /** Start no worker (jobs stay queued). */
  noWorker?: boolean;
  /** Partitions of the queue (API and worker alike). Default 1. */
  partitions?: number;
}

export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const server = await startRedisServer();
  const redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  const prefix = uniqueName('p');
  const queue = uniqueName('q');
  const partitions = options.partitions ?? 1;
  const app: HotqApp = createApp({ redis, prefix, queue, partitions, apiToken: options.apiToken, readToken: options.readToken });
  const http: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const { port } = http.address() as AddressInfo;
  const worker = createWorker({ redisUrl: server.url, prefix, queue, partitions, handlers: testHandlers, concurrency: 4, backoff: { baseMs: 50, maxMs: 200 } });
  if (!options.noWorker) await worker.start();
  return {
    url: `http://127.0.0.1:${port}`,
    redis,
    server,
    worker,
    close: async () => {
      if (!options.noWorker) await worker.stop({ graceMs: 1_000 });
      await app.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      redis.disconnect();
      await server.dispose();
    },
  };
}

/** Submits a job over HTTP and answers it. */
export async function submitJob(url: string, body: Record<string, unknown>, token?: string): Promise<{ id: string; status: string }> {
  const response = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`submit answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string; status: string };
}

/** Polls `probe` until it answers something truthy. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
