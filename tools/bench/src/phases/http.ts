import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { DB } from '../bench-redis.js';
import { runNode, startNode, waitForLine, type Child } from '../child-process.js';
import { packageBin, type CreateApp, type JobsStoreConstructor, type Loaded } from '../hotq-packages.js';
import type { Results } from '../results.js';
import { errorMessage, type RunContext } from '../run-context.js';
import { figure, perSecond } from '../stats.js';
import { PAYLOAD } from '../systems/system.js';
import { waitUntil } from '../wait.js';

const PREFIX = 'hotq';
const QUEUE = 'bench-http';
const BODY = JSON.stringify({ type: 'noop', params: PAYLOAD });
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const noopHandlers = fileURLToPath(new URL('../noop-handlers.js', import.meta.url));

/** One autocannon run: successful submissions per second and what went wrong. */
export interface PostRun {
  readonly perSecond: number;
  readonly non2xx: number;
  readonly errors: number;
}

/**
 * POST /jobs per second: `createApp` served in this process on a free loopback port, autocannon in
 * a child process (so the load generator does not share the server's event loop), `connections`
 * keep-alive connections for `seconds`. Only 2xx answers count.
 */
export async function runPostJobs(createApp: CreateApp, connect: () => Redis, seconds: number, connections: number): Promise<PostRun> {
  const redis = connect();
  const app = createApp({ redis, prefix: PREFIX, queue: QUEUE });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  try {
    const { port } = server.address() as AddressInfo;
    const stdout = await runNode(autocannonBin, [
      '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json',
      '-b', BODY, '-n', '-j', `http://127.0.0.1:${port}/jobs`,
    ], (seconds + 30) * 1000);
    const result = JSON.parse(stdout) as { '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number };
    return { perSecond: result['2xx'] / result.duration, non2xx: result.non2xx, errors: result.errors + result.timeouts };
  } finally {
    await app.close?.();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    redis.disconnect();
  }
}

/** Paths of the two bins the end-to-end run starts. */
export interface Bins {
  readonly api: string;
  readonly worker: string;
}

/**
 * End to end: one `hotq-api` process and one `hotq-worker` process (concurrency `concurrency`, the
 * bench's no-op handler) on `redisUrl`; this process POSTs `count` jobs with `inFlight` requests
 * at a time, and the clock stops when the store counts `count` succeeded jobs. Returns elapsed ms.
 */
export async function runEndToEnd(options: {
  bins: Bins;
  JobsStore: JobsStoreConstructor;
  connect: () => Redis;
  redisUrl: string;
  count: number;
  inFlight: number;
  concurrency: number;
  timeoutMs: number;
}): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: options.redisUrl, HOTQ_PREFIX: PREFIX, HOTQ_QUEUE: QUEUE };
  delete env.HOTQ_API_TOKEN;
  delete env.HOTQ_API_READ_TOKEN;
  const children: Child[] = [];
  const redis = options.connect();
  try {
    // Both at log level warn: this measures the queue, not request logging.
    const api = startNode(options.bins.api, ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'], env);
    children.push(api);
    const worker = startNode(options.bins.worker, ['--handlers', noopHandlers, '--concurrency', String(options.concurrency), '--log-level', 'warn'], env);
    children.push(worker);
    const [, base] = await waitForLine(api, /listening on (http:\/\/\S+)/, 20_000);
    const store = new options.JobsStore({ redis, prefix: PREFIX, queue: QUEUE });
    // The API listens before its Redis connection is up (and then answers 503): wait for /readyz.
    await waitUntil(async () => (await fetch(`${base}/readyz`).then(async (response) => (await response.arrayBuffer(), response.status), () => 0)) === 200, 'hotq-api /readyz', 20_000, 50);
    // One request first, so both processes are warm and the worker is known to be running.
    await postJob(`${base}/jobs`);
    await waitUntil(async () => ((await store.counts()).succeeded ?? 0) >= 1, 'the worker to finish its first job', 20_000);

    const started = performance.now();
    let next = 0;
    const client = async (): Promise<void> => {
      while (next < options.count) {
        next += 1;
        await postJob(`${base}/jobs`);
      }
    };
    const posting = Promise.all(Array.from({ length: options.inFlight }, client));
    await posting;
    await waitUntil(async () => ((await store.counts()).succeeded ?? 0) >= options.count + 1, `${options.count} jobs to succeed end to end`, options.timeoutMs);
    const elapsed = performance.now() - started;
    for (const child of children) {
      if (child.process.exitCode !== null) throw new Error(`a child exited early: ${child.output().trim()}`);
    }
    return elapsed;
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    redis.disconnect();
  }
}

async function postJob(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  if (response.status !== 201) throw new Error(`POST /jobs answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  await response.arrayBuffer();
}

/**
 * Both HTTP phases, `rounds` runs each: POST /jobs per second, then end to end. Skipped with a note
 * while @hotq/api (or, end to end, the worker's bin or jobs-store) has not landed.
 */
export async function httpPhases(
  ctx: RunContext,
  parts: { createApp: Loaded<CreateApp>; JobsStore: JobsStoreConstructor | undefined; workerLanded: boolean },
): Promise<Results['http']> {
  const { plan, redis } = ctx;
  const out: Results['http'] = {};
  if (!parts.createApp.ok) {
    ctx.skip({ phase: 'http', reason: parts.createApp.reason });
    return out;
  }
  try {
    const rates: number[] = [];
    for (let round = 1; round <= plan.rounds; round += 1) {
      await redis.flush();
      const run = await runPostJobs(parts.createApp.value, () => redis.connect(DB.http), plan.httpSeconds, plan.httpConnections);
      if (run.non2xx > 0 || run.errors > 0) throw new Error(`autocannon saw ${run.non2xx} non-2xx answers and ${run.errors} errors`);
      rates.push(run.perSecond);
      ctx.log(`http POST /jobs            round ${round}  ${run.perSecond.toFixed(0)} req/s`);
    }
    out.post_jobs = { ...figure('req/s', rates), connections: plan.httpConnections, seconds: plan.httpSeconds };
  } catch (error) {
    ctx.fail({ phase: 'http POST /jobs', reason: errorMessage(error) });
  }

  const api = packageBin('@hotq/api', 'hotq-api');
  const worker = parts.workerLanded ? packageBin('@hotq/worker', 'hotq-worker') : undefined;
  const JobsStore = parts.JobsStore;
  if (!api || !worker || !JobsStore) {
    const reason = !api ? '@hotq/api has no hotq-api bin yet' : !worker ? '@hotq/worker (its hotq-worker bin) has not landed' : '@hotq/jobs-store has not landed';
    ctx.skip({ phase: 'http end to end', reason });
    return out;
  }
  try {
    const rates: number[] = [];
    for (let round = 1; round <= plan.rounds; round += 1) {
      await redis.flush();
      const elapsed = await runEndToEnd({
        bins: { api, worker }, JobsStore, connect: () => redis.connect(DB.http), redisUrl: redis.url(DB.http),
        count: plan.e2eJobs, inFlight: plan.e2eInFlight, concurrency: plan.e2eConcurrency, timeoutMs: plan.timeoutMs,
      });
      rates.push(perSecond(plan.e2eJobs, elapsed));
      ctx.log(`http end to end            round ${round}  ${perSecond(plan.e2eJobs, elapsed).toFixed(0)} jobs/s`);
    }
    out.end_to_end = { ...figure('jobs/s', rates), jobs: plan.e2eJobs, workerConcurrency: plan.e2eConcurrency };
  } catch (error) {
    ctx.fail({ phase: 'http end to end', reason: errorMessage(error) });
  }
  return out;
}
