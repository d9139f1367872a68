/*
 * npm run bench:partitions [-- --jobs N] [--rounds N]
 *
 * One hotq queue with 1 partition and with 6, on a throwaway Redis Cluster of three masters
 * (loopback, never 127.0.0.1:6379). Each round, for each count in turn: the jobs are submitted in
 * batches of 100 (the API's path: JobsStore.prepareSubmission, TaskQueue.putMany; 8 batches in
 * flight) while the queue is paused, then two hotq-worker processes (concurrency 32, a no-op
 * handler) drain them. For each phase: jobs per second, and on each master the commands Redis ran
 * (INFO commandstats, scripts' commands included) and its main thread's CPU (INFO cpu), per job.
 * With a core per master, the master that spends the most CPU per job bounds the queue: the report
 * shows that bound too. Prints markdown and writes results/partitions-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { TaskQueue } from '@hotq/queue-core';
import { JobsStore, type JobMessage } from '@hotq/jobs-store';
import { startRedisCluster } from '@hotq/test-harness';
import { startNode, waitForLine, type Child } from './child-process.js';
import { packageBin } from './hotq-packages.js';

const here = dirname(fileURLToPath(import.meta.url));
const BATCH = 100;
const IN_FLIGHT = 8;
const WORKERS = 2;
const CONCURRENCY = 32;
const COUNTS = [1, 6] as const;

/** What one phase cost each master, per job. */
interface MasterCost {
  commands: number;
  cpuUs: number;
}

interface PhaseResult {
  jobsPerSecond: number;
  masters: MasterCost[];
}

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '2' } } });
const JOBS = Number(values.jobs);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(JOBS) || JOBS < BATCH || !Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error('--jobs must be an integer of at least 100, --rounds at least 1');

const started = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);
const loadAtStart = loadavg();
const cluster = await startRedisCluster(3);
const masters = cluster.servers.map((server) => new Redis(server.port, '127.0.0.1'));
const client = new Cluster([...cluster.nodes]);
const workerBin = packageBin('@hotq/worker', 'hotq-worker');
if (workerBin === undefined) throw new Error('@hotq/worker has no hotq-worker bin');
const seeds = cluster.nodes.map((node) => `${node.host}:${node.port}`).join(',');
log(`three-master cluster on ports ${cluster.nodes.map((node) => node.port).join(', ')}; ${JOBS} jobs per phase, ${ROUNDS} round(s); ${cpus().length} cores, load average ${loadAtStart.map((v) => v.toFixed(2)).join(' ')}`);

/** Commands run and main-thread CPU seconds of one master since its last reset. */
async function readMaster(redis: Redis): Promise<{ commands: number; cpu: number }> {
  const [stats, cpu] = await Promise.all([redis.info('commandstats'), redis.info('cpu')]);
  const commands = [...stats.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
  return { commands, cpu: field('used_cpu_sys_main_thread') + field('used_cpu_user_main_thread') };
}

/** Runs `work` between a reset of every master's statistics and a read of them: the cost per job on each. */
async function measure(jobs: number, work: () => Promise<void>): Promise<PhaseResult> {
  await Promise.all(masters.map(async (redis) => await redis.config('RESETSTAT')));
  const before = await Promise.all(masters.map(readMaster));
  const at = performance.now();
  await work();
  const seconds = (performance.now() - at) / 1000;
  const after = await Promise.all(masters.map(readMaster));
  return {
    jobsPerSecond: Math.round(jobs / seconds),
    masters: after.map((end, index) => ({
      commands: round((end.commands - (before[index]?.commands ?? 0)) / jobs),
      cpuUs: round(((end.cpu - (before[index]?.cpu ?? 0)) * 1e6) / jobs),
    })),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Submits `count` jobs in batches of 100, `IN_FLIGHT` batches at a time. */
async function submit(store: JobsStore, queue: TaskQueue<JobMessage>, count: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) {
      const size = Math.min(BATCH, count - next);
      next += size;
      const batch = Array.from({ length: size }, (_, n) => store.prepareSubmission({ type: 'noop', params: { n } }));
      await queue.putMany(batch.map((s) => ({ payload: s.payload, ...s.put })));
    }
  }));
}

async function until(probe: () => Promise<boolean>, what: string, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // Each look reads every partition's counts: a few commands, counted with the phase.
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** One count, one round: the submission phase, then the drain by two worker processes. */
async function run(partitions: number, round: number): Promise<{ put: PhaseResult; drain: PhaseResult }> {
  const name = `bench-p${partitions}-r${round}`;
  const store = new JobsStore({ redis: client, queue: name, partitions });
  const queue = new TaskQueue<JobMessage>({ redis: client, name, partitions, hooks: store.queueHooks() });
  const workers: Child[] = [];
  try {
    for (let index = 0; index < WORKERS; index += 1) {
      const worker = startNode(workerBin as string, [
        '--queue', name, '--partitions', String(partitions), '--concurrency', String(CONCURRENCY), '--handlers', join(here, 'noop-handlers.js'),
        '--log-level', 'info',
      ], { ...process.env, REDIS_CLUSTER_NODES: seeds, REDIS_URL: 'redis://127.0.0.1:6379/0' });
      workers.push(worker);
      await waitForLine(worker, /worker started/, 30_000);
    }
    // Warm-up: every partition's functions loaded on every master, the workers' connections open.
    await submit(store, queue, partitions * 20);
    await until(async () => (await store.counts()).succeeded === partitions * 20, 'the warm-up jobs');
    await queue.pause();
    const put = await measure(JOBS, async () => await submit(store, queue, JOBS));
    const total = JOBS + partitions * 20;
    const drain = await measure(JOBS, async () => {
      await queue.resume();
      await until(async () => (await store.counts()).succeeded === total, 'the jobs to be done');
    });
    return { put, drain };
  } finally {
    await Promise.all(workers.map(async (worker) => await worker.stop()));
    await queue.close();
  }
}

const results: Record<string, Array<{ put: PhaseResult; drain: PhaseResult }>> = { 1: [], 6: [] };
try {
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const partitions of COUNTS) {
      const result = await run(partitions, round);
      results[partitions]?.push(result);
      const show = (phase: PhaseResult): string => `${phase.jobsPerSecond} jobs/s; per master ${phase.masters.map((m) => `${m.commands} cmds ${m.cpuUs} µs`).join(' | ')}`;
      log(`round ${round}, P = ${partitions}: put ${show(result.put)}; drain ${show(result.drain)}`);
    }
  }
} finally {
  client.disconnect();
  for (const redis of masters) redis.disconnect();
  await cluster.dispose();
}
const loadAtEnd = loadavg();

/**
 * The median of each field over the rounds, the masters ordered busiest first in each round (a queue
 * of one partition is on whichever master its name's slot falls on, another in each round).
 */
function median(rounds: PhaseResult[]): PhaseResult {
  const phases = rounds.map((phase) => ({ ...phase, masters: [...phase.masters].sort((a, b) => b.cpuUs - a.cpuUs) }));
  const mid = (numbers: number[]): number => {
    const sorted = [...numbers].sort((a, b) => a - b);
    const half = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[half] as number) : round(((sorted[half - 1] as number) + (sorted[half] as number)) / 2);
  };
  return {
    jobsPerSecond: mid(phases.map((phase) => phase.jobsPerSecond)),
    masters: [0, 1, 2].map((index) => ({
      commands: mid(phases.map((phase) => phase.masters[index]?.commands ?? 0)),
      cpuUs: mid(phases.map((phase) => phase.masters[index]?.cpuUs ?? 0)),
    })),
  };
}

const lines = [
  `${JOBS} jobs per phase, median of ${ROUNDS} round(s); ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), load average ${loadAtStart.map((v) => v.toFixed(2)).join(' ')} at the start and ${loadAtEnd.map((v) => v.toFixed(2)).join(' ')} at the end.`,
  '',
  '| phase | P | jobs/s (this machine) | commands per job, masters (busiest first) | Redis CPU µs per job, masters (busiest first) | CPU spread (max / min) | jobs/s bound with a core per master |',
  '|---|---:|---:|---|---|---:|---:|',
];
const summary: Record<string, unknown> = {};
for (const phase of ['put', 'drain'] as const) {
  for (const partitions of COUNTS) {
    const med = median((results[partitions] ?? []).map((result) => result[phase]));
    const cpu = med.masters.map((m) => m.cpuUs);
    // A master that did less than a tenth of the busiest one's work holds none of the queue.
    const busy = cpu.filter((us) => us > Math.max(...cpu) / 10);
    const spread = busy.length === 3 ? round(Math.max(...cpu) / Math.min(...cpu)) : null;
    const bound = Math.round(1e6 / Math.max(...cpu));
    summary[`${phase}_p${partitions}`] = { ...med, spread, boundJobsPerSecond: bound };
    lines.push(`| ${phase} | ${partitions} | ${med.jobsPerSecond} | ${med.masters.map((m) => m.commands).join(' / ')} | ${cpu.join(' / ')} | ${spread ?? 'one master'} | ${bound} |`);
  }
}
console.log(`\n${lines.join('\n')}\n`);
const out = join(here, '..', 'results', 'partitions-latest.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({
  date: new Date().toISOString(), jobs: JOBS, rounds: ROUNDS, cores: cpus().length, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd, results, summary,
}, null, 2)}\n`);
log(`wrote ${out}`);
setTimeout(() => process.exit(0), 500).unref();
