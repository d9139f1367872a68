import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { TaskQueue } from '@hotq/queue-core';
import type { JobMessage, JobsStore, WorkerInfo } from '@hotq/jobs-store';
import type { Acks } from './_acks.js';
import type { Connection } from './_connection.js';
import type { HeldJob, HeldJobs } from './_held-job.js';
import type { JobRunner } from './_job-runner.js';
import { errorFields } from './_logger.js';
import type { ResolvedOptions } from './_options.js';
import { CALL_TIMEOUT_MS, isUnavailable, withTimeout } from './_redis.js';
import { settlesWithin } from './_waits.js';

/** What the heartbeat works with: the parts of a started worker. */
export interface HeartbeatParts {
  /** The worker's id, queue, concurrency, isolation, heartbeat interval and lease length. */
  readonly options: Pick<ResolvedOptions, 'id' | 'queue' | 'concurrency' | 'isolation' | 'heartbeatMs' | 'leaseMs'>;
  /** When the worker started (ISO 8601), for its presence record. */
  readonly startedAt: string;
  readonly tasks: TaskQueue<JobMessage>;
  readonly store: JobsStore;
  readonly connection: Connection;
  readonly held: HeldJobs;
  readonly runner: JobRunner;
  readonly acks: Acks;
  readonly log: Logger;
}

/**
 * Every `heartbeatMs`: the leases of all jobs held renewed by one `extend` (which also reports
 * cancellations and lost leases), sent together with the worker's presence record.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(private readonly parts: HeartbeatParts) {}

  /** Beats now and every `heartbeatMs` from now on. */
  start(): void {
    this.timer = setInterval(() => void this.beat(), this.parts.options.heartbeatMs);
    void this.beat();
  }

  /** Beats no more, lets a beat in flight end (for a second at most), and removes the presence record. */
  async stop(): Promise<void> {
    const { connection, store, options, log } = this.parts;
    clearInterval(this.timer);
    if (this.beating) await settlesWithin(this.beating, 1_000);
    if (connection.connected()) {
      await withTimeout(store.forgetWorker(options.id), 1_000, 'removing the worker record').catch((error: unknown) => {
        log.debug(errorFields(error), 'could not remove the presence record (it expires by itself)');
      });
    }
  }

  private beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .catch((error: unknown) => this.parts.log.error(errorFields(error), 'the heartbeat failed unexpectedly'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const { options, tasks, store, held, runner, connection, log } = this.parts;
    const jobs = held.list().filter((job) => job.renewable);
    const info: WorkerInfo = {
      id: options.id,
      host: hostname(),
      pid: process.pid,
      queue: options.queue,
      concurrency: options.concurrency,
      isolation: options.isolation,
      running: jobs.filter((job) => !job.decided).map((job) => job.id),
      startedAt: this.parts.startedAt,
      lastBeatAt: new Date().toISOString(),
      ttlMs: Math.max(options.heartbeatMs * 3, options.leaseMs),
    };
    // Both calls are written before either answer is read: one round trip for all leases and presence.
    const [extended, presence] = await Promise.allSettled([
      jobs.length > 0 ? tasks.extend(jobs.map((job) => job.lease)) : Promise.resolve([]),
      withTimeout(store.recordWorker(info), CALL_TIMEOUT_MS, 'the worker heartbeat'),
    ]);
    if (extended.status === 'fulfilled') {
      extended.value.forEach((result, index) => {
        const job = jobs[index] as HeldJob;
        if (!held.holds(job)) return;
        if (!result.held) this.leaseLost(job);
        else if (result.cancelRequested) runner.stopJob(job, 'cancelled');
      });
    } else if (isUnavailable(extended.reason)) {
      connection.noteUnavailable(extended.reason);
    } else {
      log.error(errorFields(extended.reason), 'renewing leases failed');
    }
    if (presence.status === 'rejected') log.debug(errorFields(presence.reason), 'writing the presence record failed');
  }

  private leaseLost(job: HeldJob): void {
    if (!job.decided) {
      this.parts.runner.stopJob(job, 'lease_lost');
      return;
    }
    // Finished, but its outcome was not written in time: the write would be refused anyway.
    this.parts.held.forget(job);
    this.parts.acks.drop(job);
    job.log.warn('lost the lease of a finished job before its outcome was written; another attempt owns it');
  }
}
