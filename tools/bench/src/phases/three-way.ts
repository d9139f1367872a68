import type { RunContext } from '../run-context.js';
import { errorMessage } from '../run-context.js';
import { costVsPlainDrainC32, FIGURES, type FigureKey, type SystemResults } from '../results.js';
import { figure, percentile, perSecond } from '../stats.js';
import { SCHEDULINGS, type ExtraScheduling } from '../systems/scheduling.js';
import type { BenchSystem, SystemKey } from '../systems/system.js';

/** One timed phase of the three-way comparison. */
interface Phase {
  readonly name: string;
  /** Needs a worker (hotq's may not have landed). */
  readonly processes: boolean;
  /** Needs priorities or limits, which a system may lack (it is then left out: not applicable). */
  readonly needs?: ExtraScheduling;
  run(system: BenchSystem, ctx: RunContext): Promise<Partial<Record<FigureKey, number>>>;
}

/**
 * drain_c32 again, with priorities on the jobs or limits in force: next to the plain drain_c32, the
 * cost per job of the scheduled path (decision 0015) for each system that has it.
 */
function drainAt32With(scheduling: ExtraScheduling, key: FigureKey): Phase {
  return {
    name: key,
    processes: true,
    needs: scheduling,
    run: async (system, { plan, redis }) => {
      const run = await system.drain(plan.drainJobs, 32, { ...plan, measureMemory: false, usedMemory: () => redis.usedMemory(), scheduling });
      return { [key]: perSecond(plan.drainJobs, run.elapsedMs) };
    },
  };
}

const PHASES: readonly Phase[] = [
  {
    name: 'enqueue_bulk',
    processes: false,
    run: async (system, { plan }) => ({ enqueue_bulk: perSecond(plan.bulkJobs, await system.enqueueBulk(plan.bulkJobs, plan.bulkBatch, plan)) }),
  },
  {
    name: 'enqueue_single',
    processes: false,
    run: async (system, { plan }) => ({ enqueue_single: perSecond(plan.singleJobs, await system.enqueueSingle(plan.singleJobs, plan)) }),
  },
  {
    name: 'drain_c1',
    processes: true,
    run: async (system, { plan, redis }) => {
      const run = await system.drain(plan.drainJobs, 1, { ...plan, measureMemory: false, usedMemory: () => redis.usedMemory() });
      return { drain_c1: perSecond(plan.drainJobs, run.elapsedMs) };
    },
  },
  {
    name: 'drain_c32 + memory_per_job',
    processes: true,
    run: async (system, { plan, redis }) => {
      const run = await system.drain(plan.drainJobs, 32, { ...plan, measureMemory: true, usedMemory: () => redis.usedMemory() });
      return { drain_c32: perSecond(plan.drainJobs, run.elapsedMs), ...(run.memoryPerJob === undefined ? {} : { memory_per_job: run.memoryPerJob }) };
    },
  },
  drainAt32With('priorities', 'drain_c32_priorities'),
  drainAt32With('limits', 'drain_c32_limits'),
  {
    name: 'latency',
    processes: true,
    run: async (system, { plan }) => {
      const samples = await system.latency(plan.latencySamples, plan.latencyGapMs, plan);
      return { latency_p50: percentile(samples, 50), latency_p99: percentile(samples, 99) };
    },
  },
];

const UNITS = Object.fromEntries(FIGURES.map(({ key, unit }) => [key, unit])) as Record<FigureKey, string>;

/**
 * Every timed phase, each in `rounds` rounds with the systems taking turns (A B C A B C ...) and
 * the server flushed before each measurement. A system that fails a phase is left out of the rest
 * of that phase (no figure for it), and the failure is noted.
 */
export async function runThreeWay(ctx: RunContext, systems: readonly BenchSystem[]): Promise<Partial<Record<SystemKey, SystemResults>>> {
  const results: Partial<Record<SystemKey, SystemResults>> = {};
  for (const system of systems) results[system.key] = { label: system.label, version: system.version, figures: {} };
  await warmUp(ctx, systems);

  for (const phase of PHASES) {
    const runs = new Map<SystemKey, Partial<Record<FigureKey, number[]>>>();
    const out = new Set<SystemKey>();
    for (const system of systems) {
      if (phase.processes && system.processingUnavailable) {
        ctx.skip({ phase: phase.name, system: system.key, reason: system.processingUnavailable });
        out.add(system.key);
      } else if (phase.needs && system.lacks?.[phase.needs]) {
        ctx.skip({ phase: phase.name, system: system.key, reason: system.lacks[phase.needs] as string });
        out.add(system.key);
      }
    }
    for (let round = 1; round <= ctx.plan.rounds; round += 1) {
      for (const system of systems) {
        if (out.has(system.key)) continue;
        await ctx.redis.flush();
        try {
          const measured = await phase.run(system, ctx);
          const mine = runs.get(system.key) ?? {};
          for (const [key, value] of Object.entries(measured) as [FigureKey, number][]) (mine[key] ??= []).push(value);
          runs.set(system.key, mine);
          const shown = Object.entries(measured).map(([key, value]) => `${key} ${value.toFixed(key.startsWith('latency') ? 3 : 0)}`);
          ctx.log(`${phase.name.padEnd(26)} round ${round}  ${system.label.padEnd(16)} ${shown.join(', ')}`);
        } catch (error) {
          ctx.fail({ phase: phase.name, system: system.key, reason: errorMessage(error) });
          out.add(system.key);
        }
      }
    }
    for (const [key, figures] of runs) {
      if (out.has(key)) continue;
      for (const [name, values] of Object.entries(figures) as [FigureKey, number[]][]) {
        (results[key] as SystemResults).figures[name] = figure(UNITS[name], values);
      }
    }
  }
  for (const mine of Object.values(results)) {
    const versus = costVsPlainDrainC32(mine.figures);
    if (Object.keys(versus).length > 0) mine.vsPlainDrainC32 = versus;
  }
  return results;
}

/** One small untimed pass per system: connections, script caches and JIT warm before any figure. */
async function warmUp(ctx: RunContext, systems: readonly BenchSystem[]): Promise<void> {
  const { plan, redis } = ctx;
  for (const system of systems) {
    try {
      await redis.flush();
      await system.enqueueBulk(1_000, 500, plan);
      await system.enqueueSingle(200, plan);
      if (!system.processingUnavailable) {
        for (const scheduling of SCHEDULINGS) {
          if (scheduling !== 'plain' && system.lacks?.[scheduling]) continue;
          await redis.flush();
          await system.drain(1_000, 8, { ...plan, measureMemory: false, usedMemory: () => redis.usedMemory(), scheduling });
        }
        await system.latency(20, 1, plan);
      }
    } catch (error) {
      // The timed phases will fail the same way and say so; no figure comes from here.
      ctx.log(`warm-up of ${system.label} failed: ${errorMessage(error)}`);
    }
  }
  ctx.log('warmed up');
}
