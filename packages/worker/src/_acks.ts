import type { Logger } from 'pino';
import type { AckRequest, TaskQueue } from '@hotq/queue-core';
import type { JobMessage } from '@hotq/jobs-store';
import type { HeldJob, HeldJobs, PendingAck } from './_held-job.js';
import type { JobWrites } from './_job-writes.js';
import { errorFields } from './_logger.js';
import { isUnavailable } from './_redis.js';
import type { ReserveLanes } from './_reserve-lanes.js';

/** The batch of a call that carries no acks (shared: it is never written to). */
const NO_ACKS: readonly PendingAck[] = Object.freeze([]);

/**
 * Successes and cancellations, batched: while the worker runs, each rides on the next reserve call
 * (see {@link ReserveLanes}), so a finished job costs no round trip of its own; once it is stopping,
 * they are written at once.
 */
export class Acks {
  /** Successes and cancellations waiting to ride on the next reserve. */
  private pending: PendingAck[] = [];

  constructor(
    private readonly tasks: TaskQueue<JobMessage>,
    private readonly consumer: string,
    private readonly held: HeldJobs,
    private readonly jobWrites: JobWrites,
    private readonly lanes: Pick<ReserveLanes, 'kick'>,
    /** Whether the worker is stopping (no reserve call will come to carry an ack). */
    private readonly stopping: () => boolean,
    private readonly log: Logger,
  ) {}

  /** How many acks are waiting. */
  get waiting(): number {
    return this.pending.length;
  }

  /** A success or a cancellation: written with the next reserve call, or at once when stopping. */
  queue(job: HeldJob, request: AckRequest): void {
    job.moveTo('acking');
    this.pending.push({ job, request });
    if (this.stopping()) this.jobWrites.track(this.flush());
    else this.lanes.kick();
  }

  /** Every ack waiting, now on its way (phase `ack-in-flight`). */
  take(): readonly PendingAck[] {
    const batch = this.pending;
    if (batch.length === 0) return NO_ACKS;
    this.pending = [];
    for (const pending of batch) pending.job.moveTo('ack-in-flight');
    return batch;
  }

  /** Writes every ack waiting now, on a reserve call that takes no jobs. */
  async flush(): Promise<void> {
    const batch = this.take();
    if (batch.length === 0) return;
    try {
      const { acked } = await this.tasks.reserve({ count: 0, consumer: this.consumer, acks: batch.map((pending) => pending.request) });
      this.settle(batch, acked);
    } catch (error) {
      this.failed(batch, error);
    }
  }

  /** A call carrying `batch` came back: `acked` says, per ack, whether it was applied. */
  settle(batch: readonly PendingAck[], acked: readonly boolean[]): void {
    if (batch.length === 0) return;
    // Checked once per batch: a job's logger is made only when a line is written.
    const debug = this.log.isLevelEnabled('debug');
    for (let index = 0; index < batch.length; index += 1) {
      const { job, request } = batch[index] as PendingAck;
      this.held.forget(job);
      if (!acked[index]) job.log.warn('completion refused: this worker no longer holds the job (its lease expired); another attempt owns it');
      else if (debug) job.log.debug(request.hook === 'cancel' ? 'job cancelled' : 'job succeeded');
    }
  }

  /** Acks that could not be written: kept for the next try when Redis is away, else tried one by one. */
  failed(batch: readonly PendingAck[], error: unknown): void {
    // No longer riding on a reserve call: the heartbeat renews their leases again meanwhile.
    for (const { job } of batch) job.moveTo('acking');
    if (isUnavailable(error)) {
      this.pending.unshift(...batch.filter(({ job }) => this.held.holds(job)));
      return;
    }
    // A refusal of one ack (a bad result, a hook error) must not block the others.
    this.log.error(errorFields(error), 'writing completions failed; retrying them one by one');
    for (const { job, request } of batch) {
      this.jobWrites.track(
        this.jobWrites
          .persist(job, 'record the outcome', () => this.tasks.ack(request.lease, { ...(request.vars ? { vars: request.vars } : {}), ...(request.hook ? { hook: request.hook } : {}) }))
          .then((ok) => {
            this.held.forget(job);
            if (ok === false) job.log.warn('completion refused: this worker no longer holds the job');
          }),
      );
    }
  }

  /** Drops the ack waiting for `job`, if any: its lease is lost, so the write would be refused. */
  drop(job: HeldJob): void {
    this.pending = this.pending.filter((pending) => pending.job !== job);
  }
}
