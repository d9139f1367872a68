import type { Logger } from 'pino';
import type { TaskQueue } from '@hotq/queue-core';
import type { JobMessage } from '@hotq/jobs-store';
import type { Acks } from './_acks.js';
import type { HeldJob, HeldJobs } from './_held-job.js';
import type { JobWrites } from './_job-writes.js';
import { errorFields } from './_logger.js';
import { isUnavailable } from './_redis.js';
import { delay } from './_waits.js';

/** How long stop() keeps trying to write outcomes still pending (Redis down) before leaving them to lease expiry. */
const FINAL_WRITES_MS = 5_000;

/**
 * The writes a stopping worker still owes: the acks waiting, the failures in flight, and the leases
 * of the jobs it did not run or finish, handed back to the queue in one call.
 */
export class FinalWrites {
  /** Leases to hand back (shutdown). */
  private readonly toRelease: HeldJob[] = [];

  constructor(
    private readonly tasks: TaskQueue<JobMessage>,
    private readonly held: HeldJobs,
    private readonly acks: Acks,
    private readonly jobWrites: JobWrites,
    private readonly log: Logger,
  ) {}

  /** Queues `job`'s lease to be handed back by {@link FinalWrites.run}. */
  handBack(job: HeldJob): void {
    job.moveTo('handing-back');
    this.toRelease.push(job);
  }

  /** Acks and releases still pending, and failures in flight; retried until FINAL_WRITES_MS. */
  async run(): Promise<void> {
    this.jobWrites.giveUpAt = Date.now() + FINAL_WRITES_MS;
    for (;;) {
      const acks = this.acks.waiting > 0 ? this.acks.flush() : Promise.resolve();
      const releases = this.toRelease.splice(0);
      const released =
        releases.length === 0
          ? Promise.resolve()
          : this.tasks.release(releases.map((job) => job.lease)).then(
              (count) => {
                releases.forEach((job) => this.held.forget(job));
                this.log.info({ released: count, jobs: releases.map((job) => job.id) }, 'handed jobs back to the queue');
              },
              (error: unknown) => {
                if (isUnavailable(error)) this.toRelease.unshift(...releases.filter((job) => this.held.holds(job)));
                else {
                  releases.forEach((job) => this.held.forget(job));
                  this.log.error(errorFields(error), 'handing jobs back failed; their leases will run out instead');
                }
              },
            );
      await Promise.all([acks, released]);
      await Promise.allSettled([...this.jobWrites.inFlight]);
      if (this.acks.waiting === 0 && this.toRelease.length === 0) return;
      if (Date.now() >= this.jobWrites.giveUpAt) {
        this.log.warn(
          { pending: this.acks.waiting + this.toRelease.length },
          'could not write every outcome before stopping (Redis unreachable); those leases will run out and the jobs will be handed out again',
        );
        return;
      }
      await delay(200);
    }
  }
}
