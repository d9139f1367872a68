// The zod schemas of the HTTP contract. The same objects validate requests (routes) and describe
// requests and responses in the OpenAPI document (openapi.ts), so the two cannot drift apart.
import * as z from 'zod';
import 'zod-openapi';
import { IsoTime, Tag, Tags } from './filter-schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Job statuses, in lifecycle order (a test checks they equal jobs-store's JOB_STATUSES). */
export const STATUSES = ['waiting', 'queued', 'delayed', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const TYPE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** ULID: 26 characters of Crockford base32 (upper case), the first at most 7 (48-bit time). */
export const ID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** An integer field with a range, its message naming the range. */
export function integer(min: number, max: number, description: string) {
  const rule = `must be an integer from ${min} to ${max}`;
  return z.int({ error: rule }).min(min, { error: rule }).max(max, { error: rule }).meta({ description });
}

/** A query value that must be a decimal integer in range (query values arrive as strings). */
export function queryInteger(min: number, max: number, fallback: number, description: string) {
  const rule = `must be an integer from ${min} to ${max}`;
  return z
    .string()
    .regex(/^[0-9]{1,9}$/, { error: rule })
    .transform(Number)
    .pipe(z.int().min(min, { error: rule }).max(max, { error: rule }))
    .meta({
      description,
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, { type: 'integer', minimum: min, maximum: max, default: fallback });
      },
    });
}

/** The messages of a strict JSON object: its unknown fields named, or that it is not an object at all. */
export const OBJECT_ERRORS = {
  error: (issue: { code: string; keys?: string[] }): string | undefined => {
    if (issue.code === 'unrecognized_keys') return `unknown field(s): ${(issue.keys ?? []).join(', ')}`;
    return issue.code === 'invalid_type' ? 'must be a JSON object' : undefined;
  },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// ---- building blocks ------------------------------------------------------------------------

const JOB_ID_RULE = 'must be a job id (a ULID: 26 characters of Crockford base32, upper case)';
export const JobId = z
  .string({ error: JOB_ID_RULE })
  .regex(ID_PATTERN, { error: JOB_ID_RULE })
  .meta({ id: 'JobId', description: 'A job id: a ULID (unique, URL-safe, time-sortable).', example: '01JD5Z3V9Q8W7E6R5T4Y3X2H1G' });

export const JobType = z
  .string({ error: 'must be a string' })
  .regex(TYPE_PATTERN, { error: 'must match [a-z0-9][a-z0-9_.-]{0,63}' })
  .meta({ id: 'JobType', description: 'The job type: what a worker does with it.', example: 'wordcount' });

export const JobStatus = z
  .enum(STATUSES, { error: `must be one of ${STATUSES.join(', ')}` })
  .meta({ id: 'JobStatus', description: 'Where a job is in its life.' });

/** A JSON object, kept as sent (not rebuilt, so no key is dropped or renamed). */
export const JsonObject = z
  .custom<Record<string, unknown>>(isObject, { error: 'must be a JSON object' })
  .meta({ override: { type: 'object', additionalProperties: {} } });

const Progress = z
  .union([z.number().min(0).max(100), JsonObject])
  .nullable()
  .meta({ description: 'A percentage from 0 to 100, or a small JSON object set by the handler; null before any.' });

export const Timestamp = z.iso.datetime().meta({ description: 'ISO-8601 time.' });

export const JobError = z
  .object({ message: z.string(), code: z.string().optional() })
  .meta({ id: 'JobError', description: 'Why a job failed or was cancelled.' });

// ---- requests -------------------------------------------------------------------------------

/** Most jobs one batch may carry: one script call writes them all, so this bounds how long it holds Redis. */
export const MAX_BATCH = 1_000;
/** Most dependencies one job may name. */
export const MAX_DEPENDENCIES = 1_000;

const OnDependencyFailure = z
  .enum(['fail', 'run'], { error: 'must be "fail" or "run"' })
  .meta({ description: 'What a dependency that fails or is cancelled does to this job: `fail` (the default) fails it with error code `dependency_failed`; `run` runs it anyway. Only with dependsOn.' });

export const SubmitBody = z
  .strictObject(
    {
      type: JobType,
      params: JsonObject.optional().meta({ description: 'Handler input: a JSON object, nested at most 100 levels deep, at most 256 KiB of JSON by default. Default {}.' }),
      delayMs: integer(0, 365 * DAY_MS, 'Run no sooner than this many ms from now. Default 0.').optional(),
      maxAttempts: integer(1, 100, 'Attempts before the job fails for good. Default 3.').optional(),
      timeoutMs: integer(1, DAY_MS, 'Abort an attempt after this many ms. Absent or null: no time limit.').nullable().optional(),
      priority: integer(-100, 100, 'Higher runs first; default 0. FIFO within one priority; a waiting job gains one level per second of waiting (the queue\'s ageing), so low priorities are not starved.').optional(),
      idempotencyKey: z
        .string({ error: 'must be a string of 1 to 200 printable ASCII characters' })
        .regex(/^[\x20-\x7e]{1,200}$/, { error: 'must be a string of 1 to 200 printable ASCII characters' })
        .optional()
        .meta({ description: 'Submitting the same key again answers 200 with the first job instead of making a new one. On a partitioned queue, resend it with the same partitionKey (or none).' }),
      tags: Tags.optional(),
      partitionKey: z
        .string({ error: 'must be a string of 1 to 128 printable ASCII characters' })
        .regex(/^[\x20-\x7e]{1,128}$/, { error: 'must be a string of 1 to 128 printable ASCII characters' })
        .optional()
        .meta({
          description: 'On a partitioned queue, the jobs of one key (a customer, an account, an order) all go to one partition, where workers take them '
            + 'in order of submission; without it a job goes to the next partition in turn (or to its idempotencyKey\'s). Accepted, and without effect, '
            + 'on a queue of one partition.',
          example: 'customer-42',
        }),
      dependsOn: z
        .array(JobId, { error: `must be an array of at most ${MAX_DEPENDENCIES} job ids` })
        .max(MAX_DEPENDENCIES, { error: `must be an array of at most ${MAX_DEPENDENCIES} job ids` })
        .optional()
        .meta({ description: `Jobs of this queue that must end first (at most ${MAX_DEPENDENCIES}, distinct, each existing: an unknown id is refused). Until then the job is \`waiting\`.` }),
      onDependencyFailure: OnDependencyFailure.optional(),
    },
    OBJECT_ERRORS,
  )
  .meta({ id: 'SubmitJob', description: 'A job to run.' });

/**
 * A batch item: a submission whose dependsOn may also name earlier items of the same batch by their
 * index, so that a whole graph comes in one request.
 */
export const BatchItem = SubmitBody.extend({
  dependsOn: z
    .array(z.union([JobId, z.int().min(0).max(MAX_BATCH - 1)], { error: `must be a job id, or the index of an earlier item of this batch (an integer from 0 to ${MAX_BATCH - 1})` }), { error: `must be an array of at most ${MAX_DEPENDENCIES} job ids or item indexes` })
    .max(MAX_DEPENDENCIES, { error: `must be an array of at most ${MAX_DEPENDENCIES} job ids or item indexes` })
    .optional()
    .meta({ description: `As in POST /jobs, and an integer names an earlier item of this batch by its index (0 for the first): an item cannot depend on itself or a later one.` }),
}).meta({ id: 'SubmitJobBatchItem', description: 'A job of a batch.' });


export const BatchBody = z
  .strictObject(
    {
      jobs: z
        .array(BatchItem, { error: `must be an array of 1 to ${MAX_BATCH} jobs` })
        .min(1, { error: `must be an array of 1 to ${MAX_BATCH} jobs` })
        .max(MAX_BATCH, { error: `must be an array of 1 to ${MAX_BATCH} jobs` })
        .meta({ description: `The jobs to submit, 1 to ${MAX_BATCH}, each as POST /jobs takes it.` }),
    },
    OBJECT_ERRORS,
  )
  .meta({ id: 'SubmitJobBatch', description: 'Jobs to submit together: all of them or none (on a partitioned queue, all or none per partition).' });

export const IdParams = z.strictObject({ id: JobId });

/** The dashboard's files under /ui/. */
export const AssetParams = z.strictObject({
  file: z.enum(['app.js', 'app.css'], { error: 'must be app.js or app.css' }).meta({ description: 'A file of the dashboard.' }),
});

export const ListQuery = z.strictObject(
  {
    status: JobStatus.optional(),
    type: JobType.optional(),
    tag: Tag.optional().meta({ description: 'Only jobs with this tag.' }),
    createdAfter: IsoTime.optional().meta({ description: 'Only jobs created at or after this time (ISO-8601).' }),
    createdBefore: IsoTime.optional().meta({ description: 'Only jobs created before this time (ISO-8601).' }),
    limit: queryInteger(1, 1000, 50, 'Jobs per page, 1 to 1000. Default 50.').optional(),
    cursor: z
      .string()
      .min(1, { error: 'must be the nextCursor of a previous page' })
      .max(512, { error: 'must be the nextCursor of a previous page' })
      .optional()
      .meta({ description: 'The nextCursor of the previous page.' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown query parameter(s): ${issue.keys.join(', ')}` : undefined) },
);

/** The only query the event stream takes: its token, because EventSource cannot send headers. */
export const EventsQuery = z.strictObject(
  {
    access_token: z.string().optional().meta({ description: 'The API token, for clients that cannot send an Authorization header (EventSource).' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown query parameter(s): ${issue.keys.join(', ')}` : undefined) },
);

/** GET /stats: the queue as one, and each partition on request. */
export const StatsQuery = z.strictObject(
  {
    partitions: z.enum(['true', 'false'], { error: 'must be true or false' }).optional()
      .meta({ description: 'true: add `partitions`, the counts and depths of each partition. Default false.' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown query parameter(s): ${issue.keys.join(', ')}` : undefined) },
);

/** Routes without a query string accept none. */
export const NoQuery = z.strictObject(
  {},
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown query parameter(s): ${issue.keys.join(', ')}` : undefined) },
);

// ---- responses ------------------------------------------------------------------------------

export const Job = z
  .object({
    id: JobId,
    type: JobType,
    params: JsonObject,
    status: JobStatus,
    tags: z.array(Tag).meta({ description: 'Its tags (none: an empty array).' }),
    attempts: z.int().min(0).meta({ description: 'How many times a worker started it.' }),
    maxAttempts: z.int().min(1),
    timeoutMs: z.int().min(1).nullable(),
    priority: z.int().min(-100).max(100).meta({ description: 'Higher runs first (-100 to 100; 0 by default).' }),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    finishedAt: Timestamp.nullable(),
    progress: Progress,
    error: JobError.nullable(),
    worker: z.string().nullable().meta({ description: 'The worker that ran it last.' }),
    schedule: z
      .object({ id: z.string(), dueAt: Timestamp })
      .optional()
      .meta({ description: 'Only on an occurrence of a schedule: the schedule id and the time the occurrence was due.' }),
    dependsOn: z.array(JobId).optional().meta({ description: 'Only on a job submitted with dependencies: their ids.' }),
    onDependencyFailure: OnDependencyFailure.optional(),
  })
  .meta({ id: 'Job', description: 'A job record (without its result: see GET /jobs/{id}/result).' });

export const JobList = z
  .object({ jobs: z.array(Job), nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last.' }) })
  .meta({ id: 'JobList' });

export const JobBatch = z
  .object({ jobs: z.array(Job).meta({ description: 'The jobs, in the order of the request; an item whose idempotencyKey was already used is that earlier job.' }) })
  .meta({ id: 'JobBatch' });

export const ProgressEvent = z
  .object({ id: JobId, progress: Progress })
  .meta({ id: 'ProgressEvent', description: 'The data of an `event: progress` message.' });

export const Limit = z
  .object({
    scope: z.string().meta({ description: '`queue`, `type:<type>` or `tag:<tag>`.', example: 'type:render' }),
    rate: z.object({ count: z.int(), perMs: z.int() }).nullable().meta({ description: 'The rate limit, or null.' }),
    concurrency: z.int().nullable().meta({ description: 'The concurrency limit, or null.' }),
  })
  .meta({ id: 'Limit', description: 'A limit in force.' });

export const LimitUsage = Limit.extend({
  running: z.int().min(0).meta({ description: 'Jobs of the scope running now that count against its concurrency limit (0 without one).' }),
  recentStarts: z.int().min(0).meta({ description: 'Starts within the rate window ending now (0 without a rate).' }),
}).meta({ id: 'LimitUsage', description: 'A limit in force, with what it counts now.' });

export const Stats = z
  .object({
    counts: z.object(Object.fromEntries(STATUSES.map((status) => [status, z.int().min(0)])) as Record<(typeof STATUSES)[number], z.ZodInt>)
      .meta({ description: 'Jobs by status (finished jobs until they expire).' }),
    queue: z
      .object({ ready: z.int(), delayed: z.int(), leased: z.int(), dead: z.int() })
      .meta({ description: 'Messages waiting, waiting for a delay, held by workers, dead-lettered.' }),
    workers: z.int().min(0).meta({ description: 'Workers alive (heartbeat within their TTL).' }),
    limits: z.array(LimitUsage).meta({ description: 'The limits in force (GET /limits), with what they count now.' }),
    throughput: z
      .object({
        windowSeconds: z.number().meta({ description: 'The span the rates are measured over: the last 60 seconds.' }),
        submittedPerMinute: z.number(),
        completedPerMinute: z.number().meta({ description: 'Acknowledged messages: succeeded, or cancelled while running.' }),
        deadPerMinute: z.number().meta({ description: 'Messages that failed for good.' }),
        totals: z
          .object({ put: z.int(), acked: z.int(), retried: z.int(), dead: z.int(), expired: z.int(), released: z.int() })
          .meta({ description: 'Running totals of the queue since it was created.' }),
        history: z
          .array(z.object({
            at: Timestamp.meta({ description: 'The start of the minute.' }),
            submitted: z.int().min(0),
            completed: z.int().min(0),
            failed: z.int().min(0),
            retried: z.int().min(0),
          }))
          .meta({ description: 'The last 60 minutes, oldest first, the current (still counting) minute last.' }),
      })
      .meta({ description: 'Counted by the queue itself, per minute (kept for an hour): the same from every API process, and there the moment one starts.' }),
    paused: z.boolean().meta({ description: 'Whether the queue is paused (POST /queue/pause): workers take nothing new.' }),
    partitionCount: z.int().min(1).meta({ description: 'How many partitions the queue has (HOTQ_PARTITIONS); counts and depths above are of all of them.' }),
    partitions: z
      .array(z.object({
        partition: z.int().min(0).meta({ description: 'The partition index: the one the last two characters of its jobs\' ids name.' }),
        keyBase: z.string().meta({ description: 'The hash tag its keys share: `{prefix:queue}` for a queue of one partition.', example: '{hotq:jobs:p0-12}' }),
        counts: z.object(Object.fromEntries(STATUSES.map((status) => [status, z.int().min(0)])) as Record<(typeof STATUSES)[number], z.ZodInt>),
        queue: z.object({ ready: z.int(), delayed: z.int(), leased: z.int(), dead: z.int() }),
      }))
      .optional()
      .meta({ description: 'With ?partitions=true: each partition by index, its jobs by status and its queue depths.' }),
  })
  .meta({ id: 'Stats' });

export const Worker = z
  .object({
    id: z.string().meta({ description: 'The worker id; also the `worker` field of the jobs it runs.' }),
    host: z.string().meta({ description: 'Host name of its machine.' }),
    pid: z.int().meta({ description: 'Its process id on that host.' }),
    queue: z.string(),
    concurrency: z.int().meta({ description: 'Jobs it runs at once at most.' }),
    isolation: z.string().meta({ description: '`none` (handlers in the main thread) or `thread` (worker_threads).' }),
    running: z.array(JobId).meta({ description: 'Ids of the jobs it holds now.' }),
    startedAt: Timestamp,
    lastBeatAt: Timestamp.meta({ description: 'Its last heartbeat (ISO-8601, its own clock).' }),
    ttlMs: z.int().meta({ description: 'A worker that misses heartbeats for this long is gone.' }),
  })
  .meta({ id: 'Worker', description: 'A live worker, as its last heartbeat described it.' });

export const WorkerList = z.object({ workers: z.array(Worker) }).meta({ id: 'WorkerList' });

export const Health = z.object({ status: z.enum(['ok', 'ready']) }).meta({ id: 'Health' });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum([
        'invalid_request', 'unauthorized', 'forbidden', 'not_found', 'conflict',
        'payload_too_large', 'unsupported_media_type', 'queue_full', 'redis_unavailable', 'not_replicated', 'internal_error',
      ]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });
