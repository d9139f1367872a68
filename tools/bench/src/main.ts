/*
 * npm run bench [-- --quick | --smoke] [--rounds N] [--docs] [--http-only]
 *
 * hotq, BullMQ and bee-queue side by side on ONE throwaway redis-server (never 127.0.0.1:6379), each
 * on its own database, everything flushed before every measurement, systems alternating within each
 * round (A B C A B C ...). Prints medians with min–max, writes results/latest.json and
 * results/chart.svg, and with --docs the results section of docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchRedis, DB } from './bench-redis.js';
import { loadCreateApp, loadCreateWorker, loadJobsStore, packageVersion } from './hotq-packages.js';
import { PATHS } from './paths.js';
import { hotQueueVsBareList } from './phases/hot-queue.js';
import { httpPhases } from './phases/http.js';
import { redisCostPerJob } from './phases/redis-cost.js';
import { runThreeWay } from './phases/three-way.js';
import { planFor } from './plan.js';
import { render } from './render.js';
import { consoleReport, httpMarkdown } from './report.js';
import { advantages, type Results } from './results.js';
import { describe, RunContext } from './run-context.js';
import { BeeQueueSystem } from './systems/bee-queue.js';
import { BullmqSystem } from './systems/bullmq.js';
import { HotqSystem } from './systems/hotq.js';
import { PAYLOAD_BYTES, type BenchSystem } from './systems/system.js';

const USAGE = 'usage: npm run bench [-- --quick | --smoke] [--rounds N (>= 3)] [--docs (rewrite the results section of docs/benchmarks.md)] [--http-only (only the HTTP phase; writes results/http-latest.json)]\n';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      docs: { type: 'boolean', default: false },
      'http-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values['http-only']) return await httpOnly(planFor(values.smoke ? 'smoke' : values.quick ? 'quick' : 'full', values.rounds === undefined ? undefined : Number(values.rounds)));
  const plan = planFor(values.smoke ? 'smoke' : values.quick ? 'quick' : 'full', values.rounds === undefined ? undefined : Number(values.rounds));
  const loadAverageAtStart = loadavg();
  const jobsStore = await loadJobsStore();
  const createWorker = await loadCreateWorker();
  const createApp = await loadCreateApp();

  const redis = await BenchRedis.start();
  const ctx = new RunContext(plan, redis);
  let results: Results;
  try {
    ctx.log(`${plan.mode} run, ${plan.rounds} rounds, on a throwaway redis-server ${redis.version} at 127.0.0.1:${redis.port}; ${cpus().length} cores, load average ${loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`);
    const systems: BenchSystem[] = [];
    if (jobsStore.ok) {
      systems.push(new HotqSystem(() => redis.connect(DB.hotq), {
        JobsStore: jobsStore.value,
        createWorker: createWorker.ok ? createWorker.value : { missing: createWorker.reason },
        version: packageVersion('@hotq/queue-core'),
      }));
    } else {
      ctx.skip({ phase: 'every three-way phase', system: 'hotq', reason: jobsStore.reason });
    }
    systems.push(new BullmqSystem(redis.host, redis.port, DB.bullmq), new BeeQueueSystem(redis.host, redis.port, DB['bee-queue']));

    const systemResults = await runThreeWay(ctx, systems);
    const hotqueue = await hotQueueVsBareList(ctx);
    const http = await httpPhases(ctx, { createApp, JobsStore: jobsStore.ok ? jobsStore.value : undefined, workerLanded: createWorker.ok });
    await redisCostPerJob(ctx, systems, systemResults);

    results = {
      date: new Date().toISOString(),
      mode: plan.mode,
      durationSeconds: Math.round(RunContext.elapsedSeconds() * 10) / 10,
      rounds: plan.rounds,
      machine: {
        cores: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        loadAverageAtStart: loadAverageAtStart.map((value) => Math.round(value * 100) / 100),
        loadAverageAtEnd: loadavg().map((value) => Math.round(value * 100) / 100),
      },
      versions: versions(redis.version),
      parameters: { ...plan, payloadBytes: PAYLOAD_BYTES },
      systems: systemResults,
      advantage: advantages(systemResults, 'bullmq'),
      advantage_beequeue: advantages(systemResults, 'bee-queue'),
      hotqueue,
      http,
      skipped: ctx.skipped,
      errors: ctx.errors,
    };
  } finally {
    await redis.stop();
  }

  mkdirSync(dirname(PATHS.results), { recursive: true });
  writeFileSync(PATHS.results, `${JSON.stringify(results, null, 2)}\n`);
  const written = render(results, values.docs);
  process.stdout.write(`\n${consoleReport(results)}\n\n`);
  for (const note of results.skipped) process.stdout.write(`skipped: ${describe(note)}\n`);
  for (const note of results.errors) process.stdout.write(`FAILED: ${describe(note)}\n`);
  ctx.log(`wrote ${[PATHS.results, ...written].join(', ')}`);
  return results.errors.length > 0 ? 1 : 0;
}

/** `--http-only`: the HTTP phase alone, on its own throwaway Redis; its results go to results/http-latest.json. */
async function httpOnly(plan: ReturnType<typeof planFor>): Promise<number> {
  const loadAverageAtStart = loadavg();
  const [jobsStore, createWorker, createApp] = [await loadJobsStore(), await loadCreateWorker(), await loadCreateApp()];
  const redis = await BenchRedis.start();
  const ctx = new RunContext(plan, redis);
  let http;
  try {
    ctx.log(`${plan.mode} HTTP-only run, ${plan.rounds} rounds, on a throwaway redis-server ${redis.version} at 127.0.0.1:${redis.port}; ${cpus().length} cores, load average ${loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')}`);
    http = await httpPhases(ctx, { createApp, JobsStore: jobsStore.ok ? jobsStore.value : undefined, workerLanded: createWorker.ok });
  } finally {
    await redis.stop();
  }
  const out = {
    date: new Date().toISOString(), mode: plan.mode, rounds: plan.rounds, durationSeconds: Math.round(RunContext.elapsedSeconds() * 10) / 10,
    machine: { cores: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadAverageAtStart: loadAverageAtStart.map((v) => Math.round(v * 100) / 100), loadAverageAtEnd: loadavg().map((v) => Math.round(v * 100) / 100) },
    versions: versions(redis.version), http, errors: ctx.errors, skipped: ctx.skipped,
  };
  mkdirSync(dirname(PATHS.httpResults), { recursive: true });
  writeFileSync(PATHS.httpResults, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`\n${httpMarkdown(http).join('\n')}\n`);
  for (const note of [...ctx.skipped, ...ctx.errors]) process.stdout.write(`${describe(note)}\n`);
  ctx.log(`wrote ${PATHS.httpResults}`);
  return ctx.errors.length > 0 ? 1 : 0;
}

function versions(redisVersion: string): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node, redis: redisVersion };
  for (const name of ['@hotq/queue-core', '@hotq/jobs-store', '@hotq/worker', '@hotq/api', 'bullmq', 'bee-queue', 'autocannon', 'ioredis']) {
    try {
      out[name] = packageVersion(name);
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Libraries under test may leave timers behind after close(); the run is over.
    setTimeout(() => process.exit(code), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
