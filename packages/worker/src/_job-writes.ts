import type { Logger } from 'pino';
import type { TaskQueue } from '@hotq/queue-core';
import type { JobMessage, JobsStore } from '@hotq/jobs-store';
import { reconnectDelay, retryDelay, type BackoffPolicy } from './_backoff.js';
import type { Connection } from './_connection.js';
import { checkProgress, type ErrorInfo } from './_handler-run.js';
import type { HeldJob, HeldJobs } from './_held-job.js';
import type { DependencyReader, ProgressWriter } from './_job-context.js';
import { errorFields } from './_logger.js';
import { CALL_TIMEOUT_MS, isUnavailable, withTimeout } from './_redis.js';
import { delay } from './_waits.js';

/**
 * The record writes a job makes outside the reserve calls: its progress, its failure (one nack),
 * and any write retried through an outage. Each is fenced by the job's lease token.
 */
export class JobWrites {
  /** Writes in flight outside the reserve calls (nacks, direct ack flushes), awaited by stop(). */
  readonly inFlight = new Set<Promise<unknown>>();
  /** When a write retried through an outage gives up: never, until the worker stops (see FinalWrites). */
  giveUpAt = Number.POSITIVE_INFINITY;
  /** Writes a job's progress; bound once and shared by every job's context. */
  readonly writeProgress: ProgressWriter = (job, value) => this.progress(job, value);
  /** Reads a job's dependencies' outcomes (one round trip); bound once, shared by every context. */
  readonly readDependencies: DependencyReader = async (id) =>
    (await withTimeout(this.store.dependencies(id), CALL_TIMEOUT_MS, 'reading the dependencies')) ?? [];

  constructor(
    private readonly tasks: TaskQueue<JobMessage>,
    private readonly store: JobsStore,
    private readonly held: HeldJobs,
    private readonly connection: Connection,
    private readonly backoff: BackoffPolicy,
    private readonly log: Logger,
  ) {}

  /** A failure: retried after a backoff, or failed for good (non-retryable, or the last attempt). */
  failure(job: HeldJob, error: ErrorInfo): void {
    job.moveTo('failing');
    const { attempt, maxAttempts } = job.message;
    const last = error.nonRetryable || attempt >= maxAttempts;
    const delayMs = last ? 0 : retryDelay(attempt, this.backoff);
    const vars = this.store.failure({ message: error.message, ...(error.code === undefined ? {} : { code: error.code }) }).vars;
    this.track(
      this.persist(job, 'record the failure', () =>
        this.tasks.nack(job.lease, { delayMs, reason: error.message, vars, ...(error.nonRetryable ? { dead: true } : {}) }),
      ).then((outcome) => {
        this.held.forget(job);
        if (outcome === 'stale') job.log.warn('failure refused: this worker no longer holds the job');
        else if (outcome !== undefined) job.log.debug({ code: error.code, outcome, delayMs }, outcome === 'retry' ? 'job failed; will retry' : 'job failed');
      }),
    );
  }

  /**
   * Runs a write, retrying while Redis is unreachable and the lease is still ours (writes are
   * fenced by the lease token, so a resent one cannot apply twice). Gives up on any other error:
   * the lease then runs out and the queue hands the job out again.
   */
  async persist<T>(job: HeldJob, what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 1; ; failures += 1) {
      try {
        return await write();
      } catch (error) {
        if (!isUnavailable(error)) {
          job.log.error(errorFields(error), `could not ${what}; the lease will run out and the queue will hand the job out again`);
          return undefined;
        }
        this.connection.noteUnavailable(error);
        const wait = reconnectDelay(failures);
        if (!this.held.holds(job) || Date.now() + wait > this.giveUpAt) return undefined;
        await delay(wait);
      }
    }
  }

  /** Counts `write` among the writes in flight until it settles; an error it ends with is logged. */
  track(write: Promise<unknown>): void {
    const tracked = write.catch((error: unknown) => this.log.error(errorFields(error), 'writing an outcome failed unexpectedly'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async progress(job: HeldJob, value: unknown): Promise<void> {
    const checked = checkProgress(value);
    if (job.decided) return;
    job.nextProgress = checked;
    // Coalesce: while one update is being written, later ones replace each other.
    job.progressWrite ??= (async () => {
      while (job.nextProgress !== undefined && !job.decided) {
        const next = job.nextProgress;
        job.nextProgress = undefined;
        try {
          await withTimeout(this.store.progress(job.id, job.lease.token, next), CALL_TIMEOUT_MS, 'a progress update');
        } catch (error) {
          job.log.warn(errorFields(error), 'a progress update could not be written');
        }
      }
      job.progressWrite = undefined;
    })();
    await job.progressWrite;
  }
}
