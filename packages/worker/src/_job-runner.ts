import type { Logger } from 'pino';
import type { ReservedMessage } from '@hotq/queue-core';
import type { JobMessage, JobsStore } from '@hotq/jobs-store';
import type { HandlerJob } from './handler-types.js';
import type { Acks } from './_acks.js';
import type { Executor } from './_executor.js';
import type { FinalWrites } from './_final-writes.js';
import { describeError, stopReason, type ErrorInfo, type RunOutcome, type StopCode } from './_handler-run.js';
import { HeldJob, payloadProblem, type HeldJobs } from './_held-job.js';
import { JobContext } from './_job-context.js';
import type { JobWrites } from './_job-writes.js';
import { errorFields } from './_logger.js';
import type { ReserveLanes } from './_reserve-lanes.js';

/** How long a stopped handler may keep its slot (and, in a thread, its thread) before it is abandoned. */
export const ABANDON_MS = 2_000;

/** What became of a job, decided once; later events for the same job are ignored. */
type Decision =
  | { readonly kind: 'succeeded'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: ErrorInfo }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'released' };

/** What the runner works with: the parts of a started worker. */
export interface RunnerParts {
  /** The worker's id, named when a job has no handler here. */
  readonly workerId: string;
  /** The job types served, sorted. */
  readonly served: readonly string[];
  readonly executor: Executor;
  readonly store: JobsStore;
  readonly held: HeldJobs;
  readonly acks: Acks;
  readonly jobWrites: JobWrites;
  readonly finalWrites: FinalWrites;
  readonly lanes: Pick<ReserveLanes, 'kick'>;
  /** Whether the worker is stopping: a job taken then is handed back without being run. */
  readonly stopping: () => boolean;
  readonly log: Logger;
}

/**
 * Runs each job taken end to end: checks it, runs its handler in one of the worker's slots, stops
 * it from outside (timeout, cancellation, lost lease, shutdown), decides its outcome once, and
 * hands that outcome to the write that records it.
 */
export class JobRunner {
  /** Handler slots in use (at most `concurrency`). */
  private busy = 0;
  /** Called whenever a job is decided or a slot freed (stop() waits on them). */
  private readonly changeListeners = new Set<() => void>();
  /** The vars of a `null` result and of a cancellation, the same for every job: made once. */
  private readonly nullResultVars: Record<string, string>;
  private readonly cancelledVars: Record<string, string>;

  constructor(private readonly parts: RunnerParts) {
    this.nullResultVars = parts.store.completion(null).vars;
    this.cancelledVars = parts.store.failure({ message: 'cancelled while running', code: 'cancelled' }).vars;
  }

  /** Handler slots in use. */
  get busySlots(): number {
    return this.busy;
  }

  /** A job leased to the worker: run, or decided at once when it cannot (or should not) run. */
  begin(message: ReservedMessage<JobMessage>): void {
    const { held, executor, log } = this.parts;
    const previous = held.get(message.id);
    // The same job again under a new lease: whatever we held for it is stale.
    if (previous !== undefined && !previous.decided) this.stopJob(previous, 'lease_lost');
    const job = new HeldJob(message, log);
    held.add(job);
    if (this.parts.stopping()) {
      this.decide(job, { kind: 'released' });
      return;
    }
    const { payload, attempt, maxAttempts } = message;
    const problem = payloadProblem(payload);
    if (problem !== undefined) {
      this.decide(job, { kind: 'failed', error: { name: 'Error', message: problem, code: 'invalid_job', nonRetryable: true } });
      return;
    }
    if (!executor.types.has(payload.type)) {
      const text = `no handler for job type "${payload.type}" on worker ${this.parts.workerId} (it serves ${this.parts.served.join(', ')})`;
      this.decide(job, { kind: 'failed', error: { name: 'Error', message: text, code: 'unknown_type', nonRetryable: true } });
      return;
    }
    const timeoutMs = payload.timeoutMs ?? null;
    const handlerJob: HandlerJob = { id: job.id, type: payload.type, params: payload.params, attempt, maxAttempts, timeoutMs };
    this.busy += 1;
    job.holdsSlot = true;
    if (timeoutMs !== null) job.timeoutTimer = setTimeout(() => this.stopJob(job, 'timeout'), timeoutMs);
    // No race against the job's signal: a job stopped from outside is decided at once (stopJob), and
    // whatever its handler returns later is ignored; its slot stays taken until the handler ends.
    executor.run(handlerJob, new JobContext(job, this.parts.jobWrites.writeProgress, this.parts.jobWrites.readDependencies)).then(
      (outcome) => this.handlerEnded(job, outcome),
      (error: unknown) => this.handlerEnded(job, undefined, error),
    );
  }

  /** Stops a running job from outside: its outcome is decided now, then its handler is told. */
  stopJob(job: HeldJob, code: StopCode): void {
    if (job.decided) return;
    switch (code) {
      case 'timeout': {
        const message = `the job timed out after ${job.message.payload.timeoutMs} ms`;
        this.decide(job, { kind: 'failed', error: { name: 'TimeoutError', message, code: 'timeout', nonRetryable: false } });
        break;
      }
      case 'cancelled':
        this.decide(job, { kind: 'cancelled' });
        break;
      case 'lease_lost':
        job.log.warn('lost the lease of a running job (it expired or was taken over); its outcome will not be recorded by this worker');
        this.decide(job, { kind: 'lost' });
        break;
      case 'shutdown':
        this.decide(job, { kind: 'released' });
        break;
    }
    job.abort(stopReason(code));
    if (job.holdsSlot) {
      // The slot stays taken until the handler ends; one that ignores its signal is abandoned (a
      // thread is terminated) after ABANDON_MS.
      job.abandonTimer = setTimeout(() => {
        job.log.warn(`the handler ignored its abort signal for ${ABANDON_MS} ms; its slot is freed, though it may still be running`);
        if (this.freeSlot(job)) {
          this.changed();
          this.parts.lanes.kick();
        }
      }, ABANDON_MS + 500);
    }
  }

  /** Resolves once `condition` is false (re-checked whenever a job is decided or a slot freed) or at `deadline`. */
  async waitWhile(condition: () => boolean, deadline: number): Promise<void> {
    while (condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.changeListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        this.changeListeners.add(done);
      });
    }
  }

  /** The handler ended (or was abandoned): its outcome, unless one was decided already, and its slot. */
  private handlerEnded(job: HeldJob, outcome: RunOutcome | undefined, failure?: unknown): void {
    const { log } = this.parts;
    try {
      if (outcome === undefined) log.error(errorFields(failure), 'running a job failed unexpectedly');
      // The slot is freed first, so that the ack queued by decide() and the slot for the next job
      // share one reserve call.
      const freed = this.freeSlot(job);
      if (outcome !== undefined && !job.decided) {
        this.decide(job, outcome.ok ? { kind: 'succeeded', value: outcome.value } : { kind: 'failed', error: outcome.error });
      }
      if (freed) {
        this.changed();
        this.parts.lanes.kick();
      }
    } catch (error) {
      log.error(errorFields(error), 'handling the end of a job failed unexpectedly');
    }
  }

  /** Gives the job's slot back; false when it had none (any more). */
  private freeSlot(job: HeldJob): boolean {
    if (!job.holdsSlot) return false;
    job.holdsSlot = false;
    clearTimeout(job.abandonTimer);
    this.busy -= 1;
    return true;
  }

  /** Decides the job's outcome (the first decision stands) and hands it to the write that records it. */
  private decide(job: HeldJob, decision: Decision): void {
    if (job.decided) return;
    if (job.timeoutTimer !== undefined) clearTimeout(job.timeoutTimer);
    this.changed();
    const { acks, jobWrites } = this.parts;
    switch (decision.kind) {
      case 'succeeded': {
        let vars: Record<string, string>;
        try {
          vars = decision.value === null ? this.nullResultVars : this.parts.store.completion(decision.value).vars;
        } catch (error) {
          const info = describeError(error);
          jobWrites.failure(job, { name: info.name, message: `the result cannot be recorded: ${info.message}`, code: 'invalid_result', nonRetryable: true });
          return;
        }
        acks.queue(job, { lease: job.lease, vars });
        return;
      }
      case 'failed':
        jobWrites.failure(job, decision.error);
        return;
      case 'cancelled':
        job.log.debug('job cancelled while running');
        acks.queue(job, { lease: job.lease, hook: 'cancel', vars: this.cancelledVars });
        return;
      case 'lost':
        this.parts.held.forget(job);
        return;
      case 'released':
        this.parts.finalWrites.handBack(job);
        return;
    }
  }

  private changed(): void {
    if (this.changeListeners.size === 0) return;
    for (const listener of [...this.changeListeners]) listener();
  }
}
