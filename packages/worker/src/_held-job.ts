import type { Logger } from 'pino';
import type { AckRequest, Lease, ReservedMessage } from '@hotq/queue-core';
import type { JobMessage } from '@hotq/jobs-store';
import type { ProgressValue } from './handler-types.js';

/**
 * Where a held job is, from the lease taken to the outcome written. The one state of a job in the
 * worker: every part reads it, and only {@link HeldJob.moveTo} changes it, along {@link NEXT_PHASES}.
 *
 * - `running`: its handler runs (or is about to); no outcome decided yet.
 * - `acking`: a success or a cancellation was decided; its ack waits to ride on a reserve call (or
 *   is being written alone, after a batch failed).
 * - `ack-in-flight`: its ack rides on a reserve call in flight. The heartbeat leaves the lease alone:
 *   an extend would reach Redis after the ack (same connection, in order) and only be refused.
 * - `failing`: a failure was decided; its nack is being written.
 * - `handing-back`: the worker is stopping and will release the lease unused (the heartbeat leaves it alone).
 * - `ended`: the outcome was written or given up, or the lease was lost: the worker lets the job go.
 */
export type JobPhase = 'running' | 'acking' | 'ack-in-flight' | 'failing' | 'handing-back' | 'ended';

/** The moves a held job may make; any other is a bug, and {@link HeldJob.moveTo} says which. */
export const NEXT_PHASES: Readonly<Record<JobPhase, readonly JobPhase[]>> = {
  running: ['acking', 'failing', 'handing-back', 'ended'],
  acking: ['ack-in-flight', 'ended'],
  'ack-in-flight': ['acking', 'ended'],
  failing: ['ended'],
  'handing-back': ['ended'],
  ended: [],
};

/**
 * A lease this worker holds: its handler runs, or its outcome is still being written.
 *
 * Made once per job, so everything a job may never need (its abort signal, its logger) is made on
 * first use: an AbortController costs a few µs and a pino child logger a few more, which at
 * thousands of jobs per second is a good part of the worker's CPU.
 */
export class HeldJob {
  /** Its handler holds one of the worker's slots (until it ends, or is abandoned): a resource, apart from the phase. */
  holdsSlot = false;
  /** Stops the handler at the job's `timeoutMs` (only jobs that have one get a timer). */
  timeoutTimer: NodeJS.Timeout | undefined;
  /** Frees the slot of a stopped handler that ignores its signal. */
  abandonTimer: NodeJS.Timeout | undefined;
  /** The latest progress not yet written (updates are coalesced while one is being written). */
  nextProgress: ProgressValue | undefined;
  /** The progress write in flight, if any. */
  progressWrite: Promise<void> | undefined;
  /** What every write about this job is fenced with. */
  readonly lease: Lease;
  private current: JobPhase = 'running';
  private controller: AbortController | undefined;
  private stopReason: Error | undefined;
  private logger: Logger | undefined;

  constructor(
    readonly message: ReservedMessage<JobMessage>,
    private readonly parentLog: Logger,
  ) {
    this.lease = { id: message.id, token: message.token };
  }

  /** The job id. */
  get id(): string {
    return this.message.id;
  }

  /** Where the job is (see {@link JobPhase}). */
  get phase(): JobPhase {
    return this.current;
  }

  /** An outcome was chosen; the handler's own result, if it comes later, is ignored. */
  get decided(): boolean {
    return this.current !== 'running';
  }

  /** Whether the heartbeat renews its lease: not while an ack rides on a reserve call or a hand-back is queued. */
  get renewable(): boolean {
    return this.current === 'running' || this.current === 'acking' || this.current === 'failing';
  }

  /**
   * Moves the job to `next`. Moving to `ended` again is allowed (several paths may let a job go);
   * any other move not in {@link NEXT_PHASES} throws, naming both phases.
   */
  moveTo(next: JobPhase): void {
    if (next === 'ended' && this.current === 'ended') return;
    if (!NEXT_PHASES[this.current].includes(next)) {
      throw new Error(`job ${this.id}: cannot move from ${this.current} to ${next}`);
    }
    this.current = next;
  }

  /** The handler's signal, made on first use; already aborted when the job was stopped before. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.stopReason !== undefined) this.controller.abort(this.stopReason);
    }
    return this.controller.signal;
  }

  /** Tells the handler to stop (through its signal, if it ever asked for it). */
  abort(reason: Error): void {
    this.stopReason ??= reason;
    this.controller?.abort(reason);
  }

  /** The job's logger, made on first use (most jobs never log). */
  get log(): Logger {
    return (this.logger ??= this.parentLog.child({ job: this.message.id, type: this.message.payload?.type, attempt: this.message.attempt }));
  }
}

/** Every lease the worker holds, by job id: a job stays until its outcome is written or given up. */
export class HeldJobs {
  private readonly byId = new Map<string, HeldJob>();

  /** The job held under `id`, if any. */
  get(id: string): HeldJob | undefined {
    return this.byId.get(id);
  }

  /** Holds `job`, in place of whatever was held for the same job id. */
  add(job: HeldJob): void {
    this.byId.set(job.id, job);
  }

  /** Whether `job` is still held: neither forgotten nor replaced by a newer lease of the same job. */
  holds(job: HeldJob): boolean {
    return this.byId.get(job.id) === job;
  }

  /** Lets go of `job`, which ends it (a newer lease of the same job, if any, stays held). */
  forget(job: HeldJob): void {
    job.moveTo('ended');
    if (this.holds(job)) this.byId.delete(job.id);
  }

  /** A snapshot of every job held. */
  list(): HeldJob[] {
    return [...this.byId.values()];
  }

  /** The ids of the jobs whose outcome is not decided yet. */
  running(): string[] {
    return this.list().filter((job) => !job.decided).map((job) => job.id);
  }
}

/** A success or a cancellation waiting to ride on a reserve call. */
export interface PendingAck {
  readonly job: HeldJob;
  readonly request: AckRequest;
}

/** Why a payload cannot be run at all, or undefined when it is well-formed. */
export function payloadProblem(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return 'the job message is not an object';
  const { type, params, timeoutMs } = payload as Partial<JobMessage>;
  if (typeof type !== 'string' || type === '') return 'the job message has no type';
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'the job message has no params object';
  if (timeoutMs !== null && timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) {
    return 'the job message has an invalid timeoutMs';
  }
  return undefined;
}
