import type { ExtraScheduling, Scheduling } from './scheduling.js';

/** The three systems compared, by the key used in results/latest.json. */
export type SystemKey = 'hotq' | 'bullmq' | 'bee-queue';

/** The job data every system enqueues: its JSON text is exactly 100 bytes. */
export const PAYLOAD: Readonly<Record<string, string>> = Object.freeze({ data: 'x'.repeat(89) });
export const PAYLOAD_BYTES = Buffer.byteLength(JSON.stringify(PAYLOAD));

/** What a drain run measured. */
export interface DrainRun {
  /** From starting the worker until the last completion was recorded in Redis. */
  readonly elapsedMs: number;
  /** Redis `used_memory` growth per job, preload through drain, when asked for. */
  readonly memoryPerJob?: number;
}

/** Limits every wait of a phase, so a stuck run ends with an error instead of hanging. */
export interface Limits {
  /** How long one measurement may take at most. */
  readonly timeoutMs: number;
}

/** Options of {@link BenchSystem.enqueueSingle}. */
export interface EnqueueOptions extends Limits {
  /** Awaited once the producer is connected, just before the first job (to charge cost from there). */
  readonly onStart?: () => void | Promise<void>;
}

/** Options of {@link BenchSystem.drain}. */
export interface DrainOptions extends Limits {
  /**
   * Take Redis `used_memory` before the system opens any connection and after it has closed them all
   * (so per-connection buffers cancel out): what remains is what the system retains for the jobs.
   */
  readonly measureMemory: boolean;
  readonly usedMemory: () => Promise<number>;
  /** Awaited after the preload, just before the worker starts (to count commands or CPU from there). */
  readonly onWorkerStart?: () => void | Promise<void>;
  /** How often a system that polls Redis for its completion count polls (default 5 ms). */
  readonly pollMs?: number;
  /** Priorities on the preloaded jobs, or limits in force (default `plain`); see scheduling.ts. */
  readonly scheduling?: Scheduling;
}

/**
 * One queue system under test. Every method builds its own producer/worker on its own database
 * (which the caller has flushed), measures, and closes everything it opened before returning.
 */
export interface BenchSystem {
  readonly key: SystemKey;
  readonly label: string;
  readonly version: string;
  /** Why this system cannot process jobs yet (a package has not landed); undefined when it can. */
  readonly processingUnavailable?: string;
  /** Why this system cannot drain with a scheduling (it has no such feature); absent when it can. */
  readonly lacks?: Readonly<Partial<Record<ExtraScheduling, string>>>;
  /** Enqueues `count` jobs in awaited batches of `batch` (the library's bulk call); returns elapsed ms. */
  enqueueBulk(count: number, batch: number, limits: Limits): Promise<number>;
  /** Enqueues `count` jobs one at a time, each awaited; returns elapsed ms. */
  enqueueSingle(count: number, options: EnqueueOptions): Promise<number>;
  /**
   * Preloads `count` jobs (untimed), with `options.scheduling` in force, then drains them with one
   * worker at `concurrency`.
   */
  drain(count: number, concurrency: number, options: DrainOptions): Promise<DrainRun>;
  /**
   * Submit-to-handler-start latency with an idle worker (concurrency 1): one job at a time, `gapMs`
   * of quiet after each handler start so the worker is idle again. Returns samples in ms.
   */
  latency(samples: number, gapMs: number, limits: Limits): Promise<number[]>;
}
