import type { Job, JobMessage, JobsStore } from '@hotq/jobs-store';
import type { TaskQueue } from '@hotq/queue-core';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobFeed } from './job-feed.js';
import type { ApiMetrics } from './metrics.js';
import { STATUSES } from './schemas.js';

/** Everything a route handler needs, made once per app. */
export interface AppContext {
  readonly redis: Redis | Cluster;
  readonly store: JobsStore;
  /** The store on the app's own connection, for the store's own writes (deletes, bulk actions). */
  readonly writer: JobsStore;
  readonly queue: TaskQueue<JobMessage>;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  /** Interval of the event stream's keep-alive comment. */
  readonly keepAliveMs: number;
  /** Bounds a Redis call (503 when Redis does not answer in time). */
  redisCall<T>(work: Promise<T>, what: string): Promise<T>;
  /** Closers of open event streams, so the app can end them when it closes. */
  readonly streams: Set<() => void>;
  /** Every job's changes, for the GET /events streams of this process: one subscription, fanned out. */
  readonly feed: JobFeed;
}

/** Counts by status in the API's order (GET /stats, GET /events), every status present. */
export function statusCounts(all: Partial<Record<string, number>>): Record<(typeof STATUSES)[number], number> {
  return Object.fromEntries(STATUSES.map((status) => [status, all[status] ?? 0])) as Record<(typeof STATUSES)[number], number>;
}

/** The job as the API shows it: the documented fields and nothing else (never a lease token). */
export function jobBody(job: Job): Job {
  return {
    id: job.id,
    type: job.type,
    params: job.params,
    status: job.status,
    tags: job.tags ?? [],
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    priority: job.priority ?? 0,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    progress: job.progress,
    error: job.error,
    worker: job.worker,
    ...(job.schedule ? { schedule: job.schedule } : {}),
    ...(job.dependsOn ? { dependsOn: job.dependsOn, onDependencyFailure: job.onDependencyFailure ?? 'fail' } : {}),
  };
}

/**
 * The job a put just created, as its outcome says: a job submitted with dependencies is `waiting`,
 * or `queued`/`delayed` when they had all succeeded already. Null when it must be read back (a job
 * failed at once because a dependency had failed, or a resent put).
 */
export function submittedJob(prepared: Job, outcome: string): Job | null {
  if (outcome === 'queued' || outcome === 'delayed' || outcome === 'waiting') return { ...prepared, status: outcome };
  return null;
}

/**
 * Tells the GET /events streams of every API process about jobs a request created (the queue's
 * scripts send status changes, not creations). After the answer and never failing it: a lost
 * announcement only means a list shows the job at its first change instead.
 */
export function announceCreated(ctx: AppContext, jobs: ReadonlyArray<Pick<Job, 'id' | 'status'>>): void {
  if (jobs.length === 0) return;
  ctx.writer.announceCreated(jobs).catch((error: unknown) => {
    ctx.logger.debug({ err: { message: (error as Error)?.message } }, 'could not announce new jobs to /events');
  });
}
