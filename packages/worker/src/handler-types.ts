import type { DependencyOutcome } from '@hotq/jobs-store';

/**
 * The job a handler is asked to run.
 * @public
 */
export interface HandlerJob {
  /** The job id (a ULID). */
  readonly id: string;
  /** The job type, which chose this handler. */
  readonly type: string;
  /** The parameters the job was submitted with. */
  readonly params: Record<string, unknown>;
  /** Which attempt this is, starting at 1. */
  readonly attempt: number;
  /** Attempts allowed before the job fails for good. */
  readonly maxAttempts: number;
  /** The job's time limit in ms, or null for none. */
  readonly timeoutMs: number | null;
}

/**
 * Progress a handler reports: a percentage (0..100) or a small JSON object.
 * @public
 */
export type ProgressValue = number | Record<string, unknown>;

/**
 * One log method: `log.info('message')` or `log.info({ some: 'fields' }, 'message')`.
 * @public
 */
export type JobLogMethod = (objOrMessage: Record<string, unknown> | string, message?: string) => void;

/**
 * The logger a handler gets: structured, tagged with the job id, type and attempt. In thread isolation
 * the lines are sent to the worker's main thread and written there.
 * @public
 */
export interface JobLogger {
  /** Very detailed diagnostics. */
  trace: JobLogMethod;
  /** Diagnostics. */
  debug: JobLogMethod;
  /** Normal events. */
  info: JobLogMethod;
  /** Something unusual that the handler got past. */
  warn: JobLogMethod;
  /** Something failed. */
  error: JobLogMethod;
}

/**
 * What a handler gets besides the job.
 * @public
 */
export interface HandlerContext {
  /**
   * Aborted when the handler should stop: the job timed out (`timeoutMs`), was cancelled, its lease was
   * lost, or the worker is shutting down and the grace time ran out. `signal.reason` says which
   * (an Error whose `code` is `timeout`, `cancelled`, `lease_lost` or `shutdown`). Whatever the handler
   * returns after that is ignored.
   */
  readonly signal: AbortSignal;
  /**
   * Records progress on the job (fenced by its lease) and publishes it to the job's event stream.
   * Updates are coalesced: while one is being written only the latest of the later ones is kept.
   * Resolves once written (or dropped because Redis is unreachable, which is logged); rejects only for
   * a value that is neither a number in 0..100 nor a plain JSON object.
   */
  progress(value: ProgressValue): Promise<void>;
  /** A logger tagged with the job. */
  readonly log: JobLogger;
  /** Which attempt this is, starting at 1 (the same as `job.attempt`). */
  readonly attempt: number;
  /**
   * What the jobs this one was submitted to depend on (`dependsOn`) came to, in the order given:
   * each one's status, its result when it succeeded, its error when it failed (a job that runs
   * anyway, `onDependencyFailure: 'run'`, sees which). One Redis round trip; an empty array for a job
   * without dependencies. Rejects when Redis cannot be reached.
   */
  dependencies(): Promise<DependencyOutcome[]>;
}

/**
 * Runs one type of job. Returns the result: any JSON value, or bytes as
 * `{ contentType, data: Buffer | Uint8Array }`. A thrown error is retried with backoff until the job's
 * `maxAttempts`; a {@link NonRetryableError} (or any error with `nonRetryable: true`) fails the job at
 * once. The error's `message` and `code` are recorded on the job.
 * @public
 */
export type Handler = (job: HandlerJob, ctx: HandlerContext) => unknown;

/**
 * Handlers by job type. A handlers module's default export has this shape.
 * @public
 */
export type Handlers = Record<string, Handler>;
