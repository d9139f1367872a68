import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { DB, type BenchRedis } from '../bench-redis.js';
import { runNode, startNode, waitForLine, type Child } from '../child-process.js';
import { packageBin, type JobsStoreConstructor, type Loaded, type CreateApp } from '../hotq-packages.js';
import type { HttpResults } from '../results.js';
import { errorMessage, type RunContext } from '../run-context.js';
import { figure, median } from '../stats.js';
import { PAYLOAD } from '../systems/system.js';
import { waitUntil } from '../wait.js';

const PREFIX = 'hotq';
const QUEUE = 'bench-http';
/** The submission every HTTP run sends (the bare app parses the same bytes). */
const BODY = JSON.stringify({ type: 'noop', params: PAYLOAD });
const autocannonBin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const noopHandlers = fileURLToPath(new URL('../noop-handlers.js', import.meta.url));
const bareExpress = fileURLToPath(new URL('../bare-express.js', import.meta.url));

/** One autocannon run: 2xx answers per second, what went wrong, how long it ran. */
interface LoadRun {
  readonly perSecond: number;
  readonly count2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly durationMs: number;
}

/** Runs autocannon (a child process, so it never shares an event loop with the servers) against `url`. */
async function load(url: string, options: { connections: number; seconds?: number; amount?: number; body: string }): Promise<LoadRun> {
  const bound = options.amount === undefined ? ['-d', String(options.seconds ?? 1)] : ['-a', String(options.amount)];
  const stdout = await runNode(autocannonBin, [
    '-c', String(options.connections), ...bound, '-m', 'POST', '-H', 'content-type=application/json',
    '-b', options.body, '-n', '-j', url,
  ], 180_000);
  const result = JSON.parse(stdout) as { '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number };
  return {
    perSecond: result['2xx'] / result.duration, count2xx: result['2xx'], non2xx: result.non2xx,
    errors: result.errors + result.timeouts, durationMs: result.duration * 1000,
  };
}

function checked(run: LoadRun, what: string): LoadRun {
  if (run.non2xx > 0 || run.errors > 0) throw new Error(`${what}: autocannon saw ${run.non2xx} non-2xx answers and ${run.errors} errors`);
  return run;
}

/**
 * CPU time (user + system) a process has used so far, in ms (Linux /proc; undefined elsewhere):
 * all its threads, or with `mainThread` only the thread that runs JavaScript (its id is the pid).
 */
function cpuMs(pid: number | undefined, mainThread = false): number | undefined {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
    const fields = stat.split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** What one server's steady run measured. */
interface Steady {
  readonly run: LoadRun;
  /** The server process's CPU per 2xx answer (µs), all threads. */
  readonly cpuUs: number | undefined;
  /** The share of the run's time its main thread ran (0–1): below 1, it waited (for I/O, or for a core). */
  readonly mainBusy: number | undefined;
  /** Redis's main-thread CPU per 2xx answer (µs). */
  readonly redisUs: number | undefined;
}

/** A server process of this phase, listening, and the base URL it printed. */
async function serve(script: string, args: string[], env: NodeJS.ProcessEnv, children: Child[]): Promise<string> {
  const child = startNode(script, args, env);
  children.push(child);
  const [, base] = await waitForLine(child, /listening on (http:\/\/\S+)/, 20_000);
  return base as string;
}

async function ready(base: string): Promise<void> {
  // hotq-api listens before its Redis connection is up (and answers 503 meanwhile).
  await waitUntil(async () => (await fetch(`${base}/readyz`).then(async (response) => (await response.arrayBuffer(), response.status), () => 0)) === 200, 'hotq-api /readyz', 20_000, 50);
}

/** Settings shared by the runs of one round. */
interface Round {
  readonly ctx: RunContext;
  readonly bins: { api: string; worker: string | undefined };
  readonly JobsStore: JobsStoreConstructor | undefined;
  readonly connect: () => Redis;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A server alone under `connections` connections for the plan's seconds, after a 1 s warm-up: req/s,
 * its CPU per request, how busy its main thread was, and Redis's CPU per request.
 */
async function steady(base: string, path: string, body: string, connections: number, server: Child, seconds: number, redis: BenchRedis): Promise<Steady> {
  await load(`${base}${path}`, { connections, seconds: 1, body });
  const { pid } = server.process;
  const before = { all: cpuMs(pid), main: cpuMs(pid, true), redis: await redis.cpuSeconds(), at: performance.now() };
  const run = checked(await load(`${base}${path}`, { connections, seconds, body }), `POST ${path}`);
  const after = { all: cpuMs(pid), main: cpuMs(pid, true), at: performance.now(), redis: await redis.cpuSeconds() };
  const perRequest = (ms: number): number => (ms * 1000) / run.count2xx;
  return {
    run,
    cpuUs: before.all === undefined || after.all === undefined ? undefined : perRequest(after.all - before.all),
    mainBusy: before.main === undefined || after.main === undefined ? undefined : (after.main - before.main) / (after.at - before.at),
    redisUs: perRequest((after.redis - before.redis) * 1000),
  };
}

async function withChildren<T>(work: (children: Child[]) => Promise<T>): Promise<T> {
  const children: Child[] = [];
  try {
    return await work(children);
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

/** (a) the bare Express app. */
async function runBare(round: Round): Promise<Steady> {
  const { plan } = round.ctx;
  return await withChildren(async (children) => {
    const base = await serve(bareExpress, [], round.env, children);
    return await steady(base, '/jobs', BODY, plan.httpConnections, children[0] as Child, plan.httpSeconds, round.ctx.redis);
  });
}

/** (b) POST /jobs on one hotq-api process, or (d) POST /jobs/batch with `batchSize` jobs per request. */
async function runApi(round: Round, batch: boolean): Promise<Steady> {
  const { plan } = round.ctx;
  await round.ctx.redis.flush();
  return await withChildren(async (children) => {
    const base = await serve(round.bins.api, ['--host', '127.0.0.1', '--port', '0'], round.env, children);
    await ready(base);
    const body = batch ? JSON.stringify({ jobs: Array.from({ length: plan.batchSize }, () => JSON.parse(BODY) as unknown) }) : BODY;
    return await steady(base, batch ? '/jobs/batch' : '/jobs', body, batch ? plan.batchConnections : plan.httpConnections, children[0] as Child, plan.httpSeconds, round.ctx.redis);
  });
}

/**
 * (c) End to end: one hotq-api and one hotq-worker process (concurrency `e2eConcurrency`, the no-op
 * handler); autocannon POSTs for the plan's seconds on `httpConnections` connections (as in (b)); the
 * rate is the jobs it got 201 for over its duration plus the wait, after it ends, until the store
 * counts every one of them succeeded. (A fixed amount would not do: autocannon then stops only at its
 * next one-second tick.)
 */
async function runEndToEnd(round: Round): Promise<number> {
  const { plan } = round.ctx;
  const { worker } = round.bins;
  if (!worker || !round.JobsStore) throw new Error('needs @hotq/worker and @hotq/jobs-store');
  await round.ctx.redis.flush();
  const redis = round.connect();
  try {
    return await withChildren(async (children) => {
      const base = await serve(round.bins.api, ['--host', '127.0.0.1', '--port', '0'], round.env, children);
      children.push(startNode(worker, ['--handlers', noopHandlers, '--concurrency', String(plan.e2eConcurrency)], round.env));
      await ready(base);
      const store = new round.JobsStore!({ redis, prefix: PREFIX, queue: QUEUE });
      const succeeded = async (): Promise<number> => (await store.counts()).succeeded ?? 0;
      // Warm both processes (untimed), and know the worker runs.
      const warm = checked(await load(`${base}/jobs`, { connections: plan.httpConnections, seconds: 1, body: BODY }), 'warm-up');
      await waitUntil(async () => (await succeeded()) >= warm.count2xx, 'the warm-up jobs to succeed', plan.timeoutMs, 20);
      const run = checked(await load(`${base}/jobs`, { connections: plan.httpConnections, seconds: plan.httpSeconds, body: BODY }), 'POST /jobs end to end');
      const posted = performance.now();
      await waitUntil(async () => (await succeeded()) >= warm.count2xx + run.count2xx, `${run.count2xx} jobs to succeed end to end`, plan.timeoutMs, 10);
      for (const child of children) {
        if (child.process.exitCode !== null) throw new Error(`a child exited early: ${child.output().trim()}`);
      }
      return run.count2xx / ((run.durationMs + performance.now() - posted) / 1000);
    });
  } finally {
    redis.disconnect();
  }
}

/**
 * The HTTP phase: in every round, in turn, (a) a bare Express app (the ceiling of the HTTP stack), (b)
 * POST /jobs, (c) POST to succeeded end to end, (d) POST /jobs/batch; every server in a process of its
 * own, autocannon in another. Ratios are taken within each round, then summarised across rounds.
 */
export async function httpPhases(
  ctx: RunContext,
  parts: { createApp: Loaded<CreateApp>; JobsStore: JobsStoreConstructor | undefined; workerLanded: boolean },
): Promise<HttpResults> {
  const { plan, redis } = ctx;
  const api = packageBin('@hotq/api', 'hotq-api');
  if (!parts.createApp.ok || !api) {
    ctx.skip({ phase: 'http', reason: parts.createApp.ok ? '@hotq/api has no hotq-api bin yet' : parts.createApp.reason });
    return {};
  }
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redis.url(DB.http), HOTQ_PREFIX: PREFIX, HOTQ_QUEUE: QUEUE, HOTQ_LOG_LEVEL: 'info' };
  delete env.HOTQ_API_TOKEN;
  delete env.HOTQ_API_READ_TOKEN;
  const round: Round = {
    ctx, env, JobsStore: parts.JobsStore, connect: () => redis.connect(DB.http),
    bins: { api, worker: parts.workerLanded ? packageBin('@hotq/worker', 'hotq-worker') : undefined },
  };
  const runs = { bare: [] as number[], post: [] as number[], e2e: [] as number[], batch: [] as number[], postVsBare: [] as number[], e2eVsPost: [] as number[], bareCpu: [] as number[], postCpu: [] as number[], bareMain: [] as number[], postMain: [] as number[], postRedis: [] as number[] };
  const attempt = async <T>(phase: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      ctx.fail({ phase, reason: errorMessage(error) });
      return undefined;
    }
  };
  for (let n = 1; n <= plan.rounds; n += 1) {
    const bare = await attempt('http bare Express', async () => await runBare(round));
    const post = await attempt('http POST /jobs', async () => await runApi(round, false));
    const e2e = await attempt('http end to end', async () => await runEndToEnd(round));
    const batch = await attempt('http POST /jobs/batch', async () => await runApi(round, true));
    if (bare) runs.bare.push(bare.run.perSecond);
    if (post) runs.post.push(post.run.perSecond);
    if (e2e !== undefined) runs.e2e.push(e2e);
    if (batch) runs.batch.push(batch.run.perSecond * plan.batchSize);
    if (bare && post) runs.postVsBare.push(post.run.perSecond / bare.run.perSecond);
    if (post && e2e !== undefined) runs.e2eVsPost.push(e2e / post.run.perSecond);
    if (bare?.cpuUs !== undefined) runs.bareCpu.push(bare.cpuUs);
    if (post?.cpuUs !== undefined) runs.postCpu.push(post.cpuUs);
    if (bare?.mainBusy !== undefined) runs.bareMain.push(bare.mainBusy);
    if (post?.mainBusy !== undefined) runs.postMain.push(post.mainBusy);
    if (post?.redisUs !== undefined) runs.postRedis.push(post.redisUs);
    const fmt = (value: number | undefined): string => (value === undefined ? 'failed' : value.toFixed(0));
    ctx.log(`http round ${n}: bare ${fmt(bare?.run.perSecond)} req/s, POST /jobs ${fmt(post?.run.perSecond)} req/s, end to end ${fmt(e2e)} jobs/s, batch ${fmt(batch && batch.run.perSecond * plan.batchSize)} jobs/s`
      + (bare && post ? `; POST/bare ${(post.run.perSecond / bare.run.perSecond).toFixed(2)}` : '') + (post && e2e !== undefined ? `, e2e/POST ${(e2e / post.run.perSecond).toFixed(2)}` : '')
      + (bare?.mainBusy !== undefined && post?.mainBusy !== undefined ? `; main thread busy: bare ${bare.mainBusy.toFixed(2)}, POST ${post.mainBusy.toFixed(2)}` : '')
      + (post?.redisUs !== undefined ? `; Redis ${post.redisUs.toFixed(0)} µs per POST` : ''));
  }
  const out: HttpResults = {};
  const some = (values: number[]): boolean => values.length > 0;
  if (some(runs.bare)) out.bare = { ...figure('req/s', runs.bare), connections: plan.httpConnections, seconds: plan.httpSeconds };
  if (some(runs.post)) out.post_jobs = { ...figure('req/s', runs.post), connections: plan.httpConnections, seconds: plan.httpSeconds };
  if (some(runs.e2e)) out.end_to_end = { ...figure('jobs/s', runs.e2e), seconds: plan.httpSeconds, workerConcurrency: plan.e2eConcurrency, connections: plan.httpConnections };
  if (some(runs.batch)) out.batch = { ...figure('jobs/s', runs.batch), jobsPerRequest: plan.batchSize, connections: plan.batchConnections, seconds: plan.httpSeconds };
  out.ratios = {
    ...(some(runs.postVsBare) ? { post_vs_bare: figure('x', runs.postVsBare) } : {}),
    ...(some(runs.e2eVsPost) ? { e2e_vs_post: figure('x', runs.e2eVsPost) } : {}),
  };
  out.cpuPerRequestUs = {
    ...(some(runs.bareCpu) ? { bare: figure('µs', runs.bareCpu) } : {}),
    ...(some(runs.postCpu) ? { post_jobs: figure('µs', runs.postCpu) } : {}),
  };
  out.mainThreadBusy = {
    ...(some(runs.bareMain) ? { bare: figure('share', runs.bareMain) } : {}),
    ...(some(runs.postMain) ? { post_jobs: figure('share', runs.postMain) } : {}),
  };
  if (some(runs.postRedis)) out.redisCpuPerRequestUs = { post_jobs: figure('µs', runs.postRedis) };
  if (some(runs.postVsBare)) ctx.log(`http: POST/bare median ${median(runs.postVsBare).toFixed(2)}, e2e/POST median ${some(runs.e2eVsPost) ? median(runs.e2eVsPost).toFixed(2) : 'n/a'}`);
  return out;
}
