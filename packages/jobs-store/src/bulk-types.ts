import type { JobStatus } from './job-types.js';

/**
 * Which jobs a bulk action ({@link JobsStore.deleteJobs}, {@link JobsStore.retryJobs},
 * {@link JobsStore.cancelJobs}) looks at: every field given must hold. An empty filter is refused
 * unless `all` is true, so that nobody acts on every job by forgetting a field. Jobs submitted after
 * the action started are left alone.
 * @public
 */
export interface BulkFilter {
  /** Only jobs in this status. */
  status?: JobStatus;
  /** Only jobs of this type. */
  type?: string;
  /** Only jobs with this tag. */
  tag?: string;
  /** Only jobs created before this time (a Date, or an ISO-8601 string, 1970 to 9999). */
  createdBefore?: Date | string;
  /** Only finished jobs that finished before this time (a Date, or an ISO-8601 string). */
  finishedBefore?: Date | string;
  /** Required (true) when no other field narrows the filter: the action looks at every job. */
  all?: boolean;
}

/**
 * What a bulk action did: `matched` jobs fit the filter; `changed` of them were deleted, queued
 * again, cancelled or asked to stop (with `dryRun`, would have been); `skipped` the others, counted
 * by reason (see {@link BulkSkipReason}). `matched` is `changed` plus `skipped.count`.
 * @public
 */
export interface BulkResult {
  /** Jobs that fit the filter. */
  matched: number;
  /** Jobs the action was applied to (or, with `dryRun`, would be). */
  changed: number;
  /** Jobs that fit the filter but were left alone, and why. */
  skipped: { count: number; reasons: Partial<Record<BulkSkipReason, number>> };
  /** Whether nothing was changed on purpose (only counted). */
  dryRun: boolean;
}

/**
 * Why a bulk action left a job that fits its filter alone: `not_finished` (delete: the job is
 * queued, delayed or running), `not_failed_or_cancelled` (retry), `finished` (cancel),
 * `changed_meanwhile` (its status moved between the look and the action, which the queue's own
 * check refused), `queue_full` (retry: the queue holds its maximum of waiting jobs; nothing more was
 * retried).
 * @public
 */
export type BulkSkipReason = 'not_finished' | 'not_failed_or_cancelled' | 'finished' | 'changed_meanwhile' | 'queue_full';

/**
 * Options of a bulk action.
 * @public
 */
export interface BulkOptions {
  /** Count what would change, and change nothing. Default false. */
  dryRun?: boolean;
}
