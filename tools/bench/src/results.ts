import type { RedisCost } from './phases/redis-cost.js';
import type { Plan } from './plan.js';
import type { Figure } from './stats.js';
import type { ExtraScheduling } from './systems/scheduling.js';
import type { SystemKey } from './systems/system.js';

/** The figures measured for every system, with the direction that is better. */
export const FIGURES = [
  { key: 'enqueue_bulk', label: 'bulk enqueue', unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue_single', label: 'single enqueue (awaited)', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c1', label: 'drain, concurrency 1', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c32', label: 'drain, concurrency 32', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c32_priorities', label: 'drain, concurrency 32, priorities -10..10', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c32_limits', label: 'drain, concurrency 32, limits in force (never binding)', unit: 'jobs/s', better: 'higher' },
  { key: 'latency_p50', label: 'latency p50 (submit to handler start)', unit: 'ms', better: 'lower' },
  { key: 'latency_p99', label: 'latency p99 (submit to handler start)', unit: 'ms', better: 'lower' },
  { key: 'memory_per_job', label: 'Redis memory per finished job', unit: 'B', better: 'lower' },
] as const;

export type FigureKey = (typeof FIGURES)[number]['key'];

export const SYSTEM_KEYS: readonly SystemKey[] = ['hotq', 'bullmq', 'bee-queue'];

/** What one system measured. */
export interface SystemResults {
  label: string;
  version: string;
  figures: Partial<Record<FigureKey, Figure>>;
  /** What one job costs Redis (untimed passes): commands under MONITOR, main-thread CPU. */
  redisCost?: Partial<Record<CostedPhase, RedisCost>>;
  /** What priorities and limits cost this system, against its own plain drain_c32. */
  vsPlainDrainC32?: Partial<Record<ScheduledDrain, CostVsPlain>>;
}

/** The untimed passes of the cost per job. */
export type CostedPhase = 'enqueue_single' | 'drain_c1' | 'drain_c32' | ScheduledDrain;

/** The drains at concurrency 32 with priorities or limits (decision 0015's scheduled path). */
export const SCHEDULED_DRAINS = [
  { key: 'drain_c32_priorities', scheduling: 'priorities' },
  { key: 'drain_c32_limits', scheduling: 'limits' },
] as const satisfies ReadonlyArray<{ key: FigureKey; scheduling: ExtraScheduling }>;

export type ScheduledDrain = (typeof SCHEDULED_DRAINS)[number]['key'];

/** A scheduled drain against the same system's plain drain_c32 (medians over rounds). */
export interface CostVsPlain {
  /** The scheduled drain's rate over the plain one: below 1 is what the feature costs. */
  ratio: number;
  /** Wall-clock time per job the feature adds at concurrency 32, in µs (1/rate - 1/plain rate). */
  extraUsPerJob: number;
}

/** Every scheduled drain a system measured, against its plain drain_c32 (absent when either is). */
export function costVsPlainDrainC32(figures: SystemResults['figures']): Partial<Record<ScheduledDrain, CostVsPlain>> {
  const out: Partial<Record<ScheduledDrain, CostVsPlain>> = {};
  const plain = figures.drain_c32?.median;
  if (plain === undefined || plain <= 0) return out;
  for (const { key } of SCHEDULED_DRAINS) {
    const rate = figures[key]?.median;
    if (rate === undefined || rate <= 0) continue;
    out[key] = { ratio: Math.round((rate / plain) * 100) / 100, extraUsPerJob: Math.round((1e6 / rate - 1e6 / plain) * 100) / 100 };
  }
  return out;
}

/**
 * The HTTP figures, every one measured in the same rounds (bare, POST, end to end, batch, in turn),
 * and the ratios the issue sets targets for, computed round by round (the same minutes) before the median.
 */
export interface HttpResults {
  /** A bare Express 5 app: parse the same JSON body, answer 201 with a small JSON body (req/s). */
  bare?: Figure & { connections: number; seconds: number };
  post_jobs?: Figure & { connections: number; seconds: number };
  end_to_end?: Figure & { seconds: number; workerConcurrency: number; connections: number };
  /** POST /jobs/batch, in jobs per second. */
  batch?: Figure & { jobsPerRequest: number; connections: number; seconds: number };
  /** POST /jobs over bare, end to end over POST /jobs, per round. */
  ratios?: { post_vs_bare?: Figure; e2e_vs_post?: Figure };
  /** CPU per request of the server process (ms of user + system time over 2xx answers), per round. */
  cpuPerRequestUs?: { bare?: Figure; post_jobs?: Figure };
  /**
   * The share of each run's time the server's main thread (the one that runs JavaScript) ran, per
   * round: below 1 it waited, for I/O or for a core. With the CPU per request it says whether a server
   * is short of CPU of its own or waits on the machine.
   */
  mainThreadBusy?: { bare?: Figure; post_jobs?: Figure };
  /** Redis's main-thread CPU per POST /jobs answer (µs), per round: the put's cost on the shared cores. */
  redisCpuPerRequestUs?: { post_jobs?: Figure };
}

/** A phase (or one system's part of it) that did not run, and why. */
export interface Note {
  phase: string;
  system?: string;
  reason: string;
}

/** tools/bench/results/latest.json */
export interface Results {
  date: string;
  mode: Plan['mode'];
  durationSeconds: number;
  rounds: number;
  machine: { cores: number; cpuModel: string; memoryGiB: number; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  versions: Record<string, string>;
  parameters: Plan & { payloadBytes: number };
  systems: Partial<Record<SystemKey, SystemResults>>;
  /** hotq's advantage over BullMQ: a factor, above 1 means hotq is better; null when not measured. */
  advantage: Record<FigureKey, number | null>;
  /** The same against bee-queue. */
  advantage_beequeue: Record<FigureKey, number | null>;
  hotqueue: {
    put?: { hotqueue: Figure; bare: Figure; ratio: number };
    get?: { hotqueue: Figure; bare: Figure; ratio: number };
  };
  http: HttpResults;
  skipped: Note[];
  errors: Note[];
}

/** hotq's advantage over `other` for every figure (rate ratio, or inverse ratio where lower wins). */
export function advantages(systems: Results['systems'], other: SystemKey): Record<FigureKey, number | null> {
  const out = {} as Record<FigureKey, number | null>;
  for (const { key, better } of FIGURES) {
    const ours = systems.hotq?.figures[key]?.median;
    const theirs = systems[other]?.figures[key]?.median;
    out[key] = ours === undefined || theirs === undefined || ours <= 0 || theirs <= 0
      ? null
      : Math.round((better === 'higher' ? ours / theirs : theirs / ours) * 100) / 100;
  }
  return out;
}

/** A figure's value for people: rates without decimals, milliseconds with two, bytes whole. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ms') return value.toFixed(value < 10 ? 2 : 1);
  return Math.round(value).toLocaleString('en-US');
}

/** `median (min–max)`. */
export function formatFigure(figure: Figure | undefined): string {
  if (!figure) return 'n/a';
  return `${formatValue(figure.median, figure.unit)} (${formatValue(figure.min, figure.unit)}–${formatValue(figure.max, figure.unit)})`;
}
