/**
 * Where a job is in its life. `waiting` (for its dependencies), `queued`, `delayed` and `running`
 * are active (never expire); `succeeded`, `failed` and `cancelled` are terminal (kept for the store's
 * retention time).
 * @public
 */
export type JobStatus = 'waiting' | 'queued' | 'delayed' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/**
 * Every status, in lifecycle order.
 * @public
 */
export const JOB_STATUSES: readonly JobStatus[] = Object.freeze([
  'waiting',
  'queued',
  'delayed',
  'running',
  'succeeded',
  'failed',
  'cancelled',
] as const);

/**
 * What went wrong with a job.
 * @public
 */
export interface JobError {
  /** What happened, in words. */
  message: string;
  /** A machine-readable code, when the worker gave one (e.g. `unknown_type`). */
  code?: string;
}

/**
 * A job record, as the API shows it (the result is read apart, with {@link JobsStore.getResult}).
 * Times are ISO-8601 strings of Redis server time.
 * @public
 */
export interface Job {
  /** A ULID: unique, URL-safe, time-sortable. */
  id: string;
  /** What to do: `[a-z0-9][a-z0-9_.-]{0,63}`. */
  type: string;
  /** The job's input, a JSON object. */
  params: Record<string, unknown>;
  /** Where it stands. */
  status: JobStatus;
  /**
   * -100 to 100, higher runs first; 0 by default. Always set on a job this store reads or prepares;
   * optional in the type so that a Job built field by field elsewhere still compiles.
   */
  priority?: number;
  /**
   * The tags it was submitted with (none: an empty array). Always set on a job this store reads or
   * prepares; optional in the type so that a Job built field by field elsewhere still compiles.
   */
  tags?: string[];
  /** How many times a worker started it (reset by a manual retry). */
  attempts: number;
  /** Starts allowed before it fails for good. */
  maxAttempts: number;
  /** Per-attempt time limit in ms; null: none. */
  timeoutMs: number | null;
  /** When it was submitted. */
  createdAt: string;
  /** When its latest attempt started; null until then. */
  startedAt: string | null;
  /** When it reached a terminal status; null while active. */
  finishedAt: string | null;
  /** The latest progress its worker reported: 0..100 or a small JSON object. */
  progress: number | Record<string, unknown> | null;
  /** Why it failed (or its latest attempt did); null when nothing failed. */
  error: JobError | null;
  /** The consumer that runs (or last ran) it. */
  worker: string | null;
  /** Present on an occurrence of a schedule: the schedule's id and the time the occurrence was due. */
  schedule?: { id: string; dueAt: string };
  /** Present on a job submitted with dependencies: their ids, in the order given. */
  dependsOn?: string[];
  /** Present with `dependsOn`: what a failed or cancelled dependency does to this job. */
  onDependencyFailure?: 'fail' | 'run';
}

/**
 * The queue message of a job: what a worker needs to run it without reading the record.
 * @public
 */
export interface JobMessage {
  /** The job type. */
  type: string;
  /** The job's params. */
  params: Record<string, unknown>;
  /** Per-attempt time limit in ms; null: none. */
  timeoutMs: number | null;
}

/**
 * A submission, as a client sends it (`POST /jobs`). Unknown fields are refused.
 * @public
 */
export interface SubmitInput {
  /** The job type: `[a-z0-9][a-z0-9_.-]{0,63}`. */
  type: string;
  /** A JSON object (default `{}`), at most `maxParamsBytes` of JSON. */
  params?: Record<string, unknown>;
  /** Start no sooner than this many ms from now: an integer, 0 to 365 days. Default 0. */
  delayMs?: number;
  /** Starts allowed: an integer from 1 to 100. Default 3. */
  maxAttempts?: number;
  /** Per-attempt time limit: an integer from 1 ms to 24 h. Absent (or null): none. */
  timeoutMs?: number | null;
  /** 1 to 200 printable ASCII characters; the same key again answers with the first job. */
  idempotencyKey?: string;
  /**
   * An integer from -100 to 100, higher runs first; default 0. FIFO within one priority; a waiting
   * job's priority rises with its wait (the queue's ageing), so low priorities still run.
   */
  priority?: number;
  /**
   * Up to 8 distinct tags, each 1 to 64 of `[A-Za-z0-9_.:@-]` (a customer, an order, a batch):
   * {@link JobsStore.list} finds the jobs of a tag. Only tagged jobs pay for the tag index.
   */
  tags?: string[];
  /**
   * On a queue of several partitions, the jobs of one partition key (1 to 128 printable ASCII
   * characters: a customer, an account, an order) all go to one partition, where workers take them
   * in order of submission. Without it a job goes to the next partition in turn, or, with an
   * `idempotencyKey`, to that key's partition (so the same key always finds its first job). Checked,
   * and otherwise without effect, on a queue of one partition.
   */
  partitionKey?: string;
  /**
   * Ids of jobs of the same queue that must end before this one starts (at most 1,000, distinct).
   * Until then it is `waiting`; the end of the last one queues it, atomically. Each must exist: an
   * unknown id refuses the submission. In a batch (one `putMany` of several submissions) an item may name
   * the ids of earlier items.
   */
  dependsOn?: string[];
  /**
   * What a dependency that fails or is cancelled does to this job: `fail` (the default) fails it
   * with error code `dependency_failed`, and so on down what waits on it; `run` runs it anyway.
   */
  onDependencyFailure?: 'fail' | 'run';
}

/**
 * What one dependency of a job came to ({@link JobsStore.dependencies}).
 * @public
 */
export interface DependencyOutcome {
  /** The dependency's id. */
  id: string;
  /** Its status; null when its record is gone (deleted, or its retention ended). */
  status: JobStatus | null;
  /** Its result when it succeeded (null otherwise, and for a handler that returned nothing). */
  result: JobResult | null;
  /** Its error when it failed or was cancelled with one. */
  error: JobError | null;
}

/**
 * A job's result: a JSON value, or bytes with their content type.
 * @public
 */
export type JobResult = { kind: 'json'; value: unknown } | { kind: 'bytes'; contentType: string; data: Buffer };

/**
 * A bytes result as a handler returns it (see {@link JobsStore.completion}).
 * @public
 */
export interface BytesResult {
  /** A MIME type such as `image/png`. */
  contentType: string;
  /** The bytes. */
  data: Buffer | Uint8Array;
}

/**
 * What {@link JobsStore.watch} tells a listener: the whole job after a status change (and first, its
 * current state), or a progress update.
 * @public
 */
export type JobEvent = { kind: 'status'; job: Job } | { kind: 'progress'; id: string; progress: Job['progress'] };
