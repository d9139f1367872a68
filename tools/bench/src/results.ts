import type { RedisCost } from './phases/redis-cost.js';
import type { Plan } from './plan.js';
import type { Figure } from './stats.js';
import type { SystemKey } from './systems/system.js';

/** The figures measured for every system, with the direction that is better. */
export const FIGURES = [
  { key: 'enqueue_bulk', label: 'bulk enqueue', unit: 'jobs/s', better: 'higher' },
  { key: 'enqueue_single', label: 'single enqueue (awaited)', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c1', label: 'drain, concurrency 1', unit: 'jobs/s', better: 'higher' },
  { key: 'drain_c32', label: 'drain, concurrency 32', unit: 'jobs/s', better: 'higher' },
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
  redisCost?: { enqueue_single?: RedisCost; drain_c1?: RedisCost; drain_c32?: RedisCost };
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
  http: { post_jobs?: Figure & { connections: number; seconds: number }; end_to_end?: Figure & { jobs: number; workerConcurrency: number } };
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
