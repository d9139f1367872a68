import type { Cluster, Redis } from 'ioredis';
import type { Job, JobMessage, JobStatus } from './job-types.js';

/**
 * Options of a {@link JobsStore}. `prefix` and `queue` must be those of the `TaskQueue` that runs the
 * store's hooks, so that records and queue share one hash tag `{prefix:queue}`.
 * @public
 */
export interface JobsStoreOptions {
  /**
   * The connection for commands: an ioredis client, or an ioredis `Cluster` (every key of a store
   * shares its queue's hash tag). It may be shared; the store never closes it.
   */
  redis: Redis | Cluster;
  /** Key prefix: letters, digits, ".", "_", "-" (at most 128). Default `hotq`. */
  prefix?: string;
  /** Queue name: letters, digits, ".", "_", "-" (at most 128). Default `jobs`. */
  queue?: string;
  /** How long finished jobs (record, params, result) are kept, in ms. Default 7 days. */
  retentionMs?: number;
  /** Largest result accepted by {@link JobsStore.completion}, in bytes. Default 1 MiB. */
  maxResultBytes?: number;
  /** Largest params accepted by {@link JobsStore.prepareSubmission}, in bytes of JSON. Default 256 KiB. */
  maxParamsBytes?: number;
  /**
   * Partitions of the queue, as the TaskQueue's `partitions` (1 to 1024, default 1): the store then
   * keeps each job's record in the job's partition, reads it there by its id, and lists and counts
   * over every partition. Must be the queue's count.
   */
  partitions?: number;
}

/**
 * Strings for a queue hook (`ctx.vars`), to pass as `vars` of a TaskQueue ack, nack or put.
 * @public
 */
export interface HookVars {
  /** The strings. */
  vars: Record<string, string>;
}

/**
 * A validated submission, ready for `queue.put(payload, put)`.
 * @public
 */
export interface PreparedSubmission {
  /** The new job's id (also `put.id`). */
  id: string;
  /** The queue message. */
  payload: JobMessage;
  /** The options of `TaskQueue.put`; its `put` hook creates the record in the same script. */
  put: { id: string; delayMs: number; maxAttempts: number; vars: Record<string, string>; priority: number; scopes: string[] };
  /**
   * The job as {@link JobsStore.get} reads it once the put is applied (outcome `queued` or
   * `delayed`), so a producer can answer without reading it back. `createdAt` is this process's
   * clock, the time the id encodes. Its `params` is the very object of `payload.params` (the params
   * as they are stored, parsed once): change neither.
   */
  job: Job;
}

/**
 * A manual retry, ready for `queue.put(payload, put)`; its `retryJob` hook refuses (with the job's
 * current status, or `missing`) unless the job is still failed or cancelled.
 * @public
 */
export interface PreparedRetry {
  /** The queue message, rebuilt from the record. */
  payload: JobMessage;
  /** The options of `TaskQueue.put`. */
  put: { id: string; maxAttempts: number; vars: Record<string, string>; hook: 'retryJob'; priority: number; scopes: string[] };
}

/**
 * A query of {@link JobsStore.list}. Unknown fields are refused.
 * @public
 */
export interface ListQuery {
  /** Only jobs in this status. */
  status?: JobStatus;
  /** Only jobs of this type. */
  type?: string;
  /** Only jobs with this tag. */
  tag?: string;
  /**
   * Only jobs created at or after this time: a Date, or an ISO-8601 date or date-time string
   * (1970 to 9999). With `createdBefore`, consecutive windows neither overlap nor leave gaps.
   */
  createdAfter?: Date | string;
  /** Only jobs created before this time (a Date, or an ISO-8601 string, 1970 to 9999). */
  createdBefore?: Date | string;
  /** Page size, 1 to 1000. Default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * One page of {@link JobsStore.list}, newest first.
 * @public
 */
export interface JobPage {
  /** The jobs of this page. */
  jobs: Job[];
  /** Pass it as `cursor` for the next page; null when there is none. */
  nextCursor: string | null;
}
