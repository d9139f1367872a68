import { DB, type BenchRedis } from '../bench-redis.js';
import { SCHEDULED_DRAINS, type CostedPhase, type SystemResults } from '../results.js';
import { errorMessage, type RunContext } from '../run-context.js';
import type { Scheduling } from '../systems/scheduling.js';
import type { BenchSystem, SystemKey } from '../systems/system.js';

/** What one job costs Redis, from two untimed passes of the same work. */
export interface RedisCost {
  /** Commands sent by clients per job (each command of a pipeline or MULTI counts; EVALSHA once). */
  readonly client: number;
  /** Commands run inside Lua scripts per job. */
  readonly script: number;
  /** CPU of Redis's main thread per job, in µs (INFO cpu; parsing, networking and scripts). */
  readonly cpuUs: number;
  /** CPU of this Node process per job, in µs (the library's client side: producer or worker). */
  readonly nodeCpuUs: number;
  /** The most frequent commands (client and script together), per job. */
  readonly top: Readonly<Record<string, number>>;
}

/**
 * Runs `work` twice on a flushed server: once to charge Redis's main-thread CPU (and this process's
 * CPU) to it, once under
 * MONITOR to count its commands (MONITOR slows Redis down: never in a timed phase). `work` calls
 * `mark()` when the part to charge begins (after any preload).
 */
export async function measureRedisCost(redis: BenchRedis, db: number, jobs: number, work: (mark: () => Promise<void>) => Promise<void>): Promise<RedisCost> {
  await redis.flush();
  let cpuAtMark = 0;
  let nodeAtMark = process.cpuUsage();
  await work(async () => {
    cpuAtMark = await redis.cpuSeconds();
    nodeAtMark = process.cpuUsage();
  });
  const node = process.cpuUsage(nodeAtMark);
  const cpuUs = ((await redis.cpuSeconds()) - cpuAtMark) * 1e6 / jobs;
  const nodeCpuUs = (node.user + node.system) / jobs;

  await redis.flush();
  const monitor = await redis.monitor();
  let client = 0;
  let script = 0;
  let byName = new Map<string, number>();
  const database = String(db);
  // MONITOR lines trail the replies (by a lot after a big preload): a marker sent through the admin
  // connection, once seen in the stream, says everything sent before it has been counted.
  let awaited: { text: string; seen: () => void } | undefined;
  const flushed = async (): Promise<void> => {
    const text = `bench-mark-${Math.random().toString(36).slice(2)}`;
    let timer: NodeJS.Timeout | undefined;
    const seen = new Promise<void>((resolve, reject) => {
      awaited = { text, seen: resolve };
      timer = setTimeout(() => reject(new Error('MONITOR did not deliver the marker within 30 s')), 30_000);
    });
    try {
      await redis.echo(text);
      await seen;
    } finally {
      clearTimeout(timer);
    }
  };
  monitor.on('monitor', (_time: string, args: string[], source: string, from: string) => {
    if (awaited && String(args[0]).toLowerCase() === 'echo' && args[1] === awaited.text) {
      awaited.seen();
      awaited = undefined;
      return;
    }
    if (from !== database) return;
    const name = (args[0] ?? '').toUpperCase();
    if (source === 'lua') script += 1;
    else client += 1;
    byName.set(name, (byName.get(name) ?? 0) + 1);
  });
  try {
    await work(async () => {
      await flushed();
      client = 0;
      script = 0;
      byName = new Map();
    });
    await flushed();
  } finally {
    monitor.disconnect();
  }
  const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return {
    client: round(client / jobs),
    script: round(script / jobs),
    cpuUs: round(cpuUs),
    nodeCpuUs: round(nodeCpuUs),
    top: Object.fromEntries(top.map(([name, count]) => [name, round(count / jobs)])),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * What a job costs each system, enqueued one at a time and processed at concurrency 1 and 32, and at
 * 32 with priorities or limits (for the systems that have them).
 */
export async function redisCostPerJob(ctx: RunContext, systems: readonly BenchSystem[], results: Partial<Record<SystemKey, SystemResults>>): Promise<void> {
  const { plan, redis } = ctx;
  ctx.log('what a job costs: Redis commands (MONITOR) and CPU, untimed');
  for (const system of systems) {
    const costs: NonNullable<SystemResults['redisCost']> = {};
    try {
      costs.enqueue_single = await measureRedisCost(redis, DB[system.key], plan.profileJobs, async (mark) => {
        await system.enqueueSingle(plan.profileJobs, { ...plan, onStart: mark });
      });
      if (!system.processingUnavailable) {
        const drains: Array<readonly [CostedPhase, number, Scheduling]> = [['drain_c1', 1, 'plain'], ['drain_c32', 32, 'plain']];
        for (const { key, scheduling } of SCHEDULED_DRAINS) if (!system.lacks?.[scheduling]) drains.push([key, 32, scheduling]);
        for (const [phase, concurrency, scheduling] of drains) {
          costs[phase] = await measureRedisCost(redis, DB[system.key], plan.profileJobs, async (mark) => {
            await system.drain(plan.profileJobs, concurrency, { ...plan, measureMemory: false, usedMemory: () => redis.usedMemory(), onWorkerStart: mark, pollMs: 50, scheduling });
          });
        }
      }
      const mine = results[system.key];
      if (mine) mine.redisCost = costs;
      const shown = Object.entries(costs).map(([phase, cost]) => `${phase}: ${cost.client} client + ${cost.script} script commands, CPU ${cost.cpuUs} µs Redis + ${cost.nodeCpuUs} µs Node`);
      ctx.log(`per job  ${system.label.padEnd(16)} ${shown.join('; ')}`);
    } catch (error) {
      ctx.fail({ phase: 'cost per job', system: system.key, reason: errorMessage(error) });
    }
  }
}
