import { QueueFullError, QueuePartitions, type QueueHooks, type Schedule, type ScheduleSpec, type TaskQueue } from '@hotq/queue-core';
import type { Cluster, Redis } from 'ioredis';
import { JobInputError, JobStateError } from './errors.js';
import type { BulkFilter, BulkOptions, BulkResult } from './bulk-types.js';
import { BULK_BATCH, BULK_PAUSE_MS, bulkArgs, BulkTally, toBulkStep } from './_bulk.js';
import { JOB_STATUSES, type BytesResult, type DependencyOutcome, type Job, type JobError, type JobEvent, type JobMessage, type JobResult, type JobStatus, type SubmitInput } from './job-types.js';
import type { HookVars, JobPage, JobsStoreOptions, ListQuery, PreparedRetry, PreparedSubmission } from './jobs-store-types.js';
import { toJsonText } from './_json.js';
import { keyBase, StoreKeys } from './_keys.js';
import { fieldsFromFlat, paramsOf, toError, toJob, type RecordFields } from './_record.js';
import { decodeResult, encodeResult } from './_result.js';
import { hooksChunk, ScriptSet } from './_scripts.js';
import { prepareSchedule, toJobSchedule } from './_schedule.js';
import { PartitionedStore, STORE_PARTITION, type StorePartitionSpec } from './_partitioned-store.js';
import type { JobSchedule, ScheduleInput } from './schedule-types.js';
import { idempotencyHash, jobScopes, prepareSubmission, type PlaceId } from './_submission.js';
import { checkInteger, checkJobId, checkKnownFields, checkName, checkStatus, checkTag, checkType, describe, isPlainObject } from './_validate.js';
import { idRange } from './_id-range.js';
import { EventHub } from './_watcher.js';
import type { QueueChange } from './queue-change.js';
import { readPresence, removePresence, writePresence } from './_presence.js';
import type { WorkerInfo } from './worker-info.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MIB = 1024 * 1024;
const MAX_PROGRESS_BYTES = 1024;
const MAX_ERROR_MESSAGE = 2_000;
/** Index entries one list() call examines at most beyond its page (sparse status-and-type filters). */
const LIST_SCAN_BUDGET = 2_000;
/** Finished jobs one script call purges at most. */
const PURGE_BATCH = 1_000;
const LIST_FIELDS = ['status', 'type', 'tag', 'createdAfter', 'createdBefore', 'limit', 'cursor'] as const;

/** The queue put of a manual retry, rebuilt from the job's record (its hash) and its stored payload. */
function retryOf(id: string, record: RecordFields, storedPayload: string | null): PreparedRetry {
  const { t: type = '', M: maxAttempts, o: timeoutMs, Y: priority, g: tags } = record;
  return {
    payload: { type, params: paramsOf(record, storedPayload), timeoutMs: timeoutMs ? Number(timeoutMs) : null },
    // The retried job keeps its priority and the limits of its type and tags.
    put: { id, maxAttempts: Number(maxAttempts ?? 3), vars: {}, hook: 'retryJob', priority: Number(priority ?? 0), scopes: jobScopes(type, tags ? tags.split(',') : []) },
  };
}

/** Runs a MULTI of reads and returns their values, throwing the first error. */
async function reads(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const results = (await multi.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/**
 * Job records on Redis: lifecycle, queries, results, events and retention. Records share the hash tag
 * `{prefix:queue}` with the TaskQueue of the same name, whose scripts run this store's hooks
 * ({@link JobsStore.queueHooks}), so that submitting, starting, finishing, retrying or cancelling a
 * job changes queue and record in one script: one round trip, all or nothing, fenced by the lease token.
 * See docs/decisions/0003-jobs-store-surface.md for how the api and the worker use it.
 * @public
 */
export class JobsStore {
  /**
   * `{prefix:queue}`: the hash-tagged base of every key, the same as the TaskQueue's; on a
   * partitioned queue the base of what belongs to the queue as a whole (worker presence), each
   * partition's records being under its own (`partitions.keyBases`).
   */
  readonly keyBase: string;
  /** How the queue is split (one partition unless the `partitions` option says otherwise); must be the TaskQueue's. */
  readonly partitions: QueuePartitions;
  private readonly redis: Redis | Cluster;
  private readonly keys: StoreKeys;
  private readonly retentionMs: number;
  private readonly maxResultBytes: number;
  private readonly maxParamsBytes: number;
  private readonly scripts: ScriptSet;
  private readonly events: EventHub;
  /** Set when this store serves one partition of a partitioned queue. */
  private readonly partition: StorePartitionSpec | undefined;
  /** Set when the queue has several partitions: reads and steps of jobs go through it. */
  private readonly partitioned: PartitionedStore | undefined;
  /** Where a new job goes (a queue of several partitions). */
  private readonly placeId: PlaceId | undefined;

  constructor(options: JobsStoreOptions) {
    if (!isPlainObject(options)) throw new JobInputError('options', `must be an object (received ${describe(options)})`);
    checkKnownFields(options, ['redis', 'prefix', 'queue', 'retentionMs', 'maxResultBytes', 'maxParamsBytes', 'partitions'], 'options.');
    const redis = options.redis as Redis | Cluster | undefined;
    if (typeof redis !== 'object' || redis === null || typeof redis.evalsha !== 'function' || typeof redis.duplicate !== 'function') {
      throw new JobInputError('options.redis', `must be an ioredis client or Cluster (received ${describe(redis)})`);
    }
    this.redis = redis;
    const prefix = checkName('options.prefix', options.prefix ?? 'hotq');
    const queue = checkName('options.queue', options.queue ?? 'jobs');
    this.retentionMs = checkInteger('options.retentionMs', options.retentionMs ?? 7 * DAY_MS, 1, 3650 * DAY_MS, ' ms');
    this.maxResultBytes = checkInteger('options.maxResultBytes', options.maxResultBytes ?? MIB, 1, 256 * MIB);
    this.maxParamsBytes = checkInteger('options.maxParamsBytes', options.maxParamsBytes ?? 256 * 1024, 2, 16 * MIB);
    this.partition = (options as { [STORE_PARTITION]?: StorePartitionSpec })[STORE_PARTITION];
    const partitions = options.partitions ?? 1;
    if (typeof partitions !== 'number' || !Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      throw new JobInputError('options.partitions', `must be an integer from 1 to 1024 (received ${describe(partitions)})`);
    }
    this.partitions = this.partition?.partitions ?? new QueuePartitions(prefix, queue, partitions);
    this.keyBase = this.partition?.base ?? keyBase(prefix, queue);
    this.keys = new StoreKeys(this.keyBase);
    this.scripts = new ScriptSet(this.keyBase, this.retentionMs);
    this.events = new EventHub(redis, this.keys.events, this.keys.watched, (id) => this.read(id));
    if (this.partition === undefined && this.partitions.count > 1) {
      const spread = this.partitions;
      this.partitioned = new PartitionedStore(spread, spread.keyBases.map((base) => new JobsStore({
        ...options, partitions: 1, [STORE_PARTITION]: { base, partitions: spread },
      } as JobsStoreOptions)));
      // The same idempotency key always goes to one partition, where it finds the first job.
      // A job waits only on jobs of its own partition (one atomic call settles them): it goes where
      // its dependencies are, and the queue refuses dependencies spread over several partitions.
      this.placeId = (ulid, { partitionKey, idempotencyKey, dependsOn }) => spread.stampId(ulid,
        (dependsOn[0] === undefined ? undefined : spread.partitionOf(dependsOn[0]))
        ?? (partitionKey !== undefined ? spread.partitionForKey(partitionKey)
          : idempotencyKey !== undefined ? spread.partitionForKey(idempotencyHash(idempotencyKey)) : spread.nextPartition()));
    }
  }

  /**
   * The hooks to give a TaskQueue as `hooks`: the Lua chunk and this store's key base, which the queue
   * checks against its own (same prefix and queue name, or the queue refuses them). The chunk follows
   * queue-core's hook contract (`HOOK_NAMES`): `before`, `check_put`, `put`, `retryJob`, `reserve`,
   * `promote`, `unblock`, `expire`, `release`, `retry`, `ack`, `dead`, `cancel`, `cancelJob` (also as `remove`)
   * and `after`; see src/commands/hooks.lua for what each does and refuses.
   */
  queueHooks(): QueueHooks {
    const retentionMs = this.retentionMs;
    return {
      source: hooksChunk(this.keyBase, retentionMs), keyBase: this.keyBase, partitions: this.partitions.count,
      partitionSource: (base) => hooksChunk(base, retentionMs),
    };
  }

  /**
   * Validates a submission and builds the queue put that creates it: `queue.put(s.payload, s.put)`.
   * Writes nothing. The put's outcome `refused` carries the id of the job that already exists: the
   * first job of the same `idempotencyKey` (also when two submissions race), or this very id when the
   * same put was applied before.
   * @throws {@link JobInputError} naming the field and the rule.
   */
  prepareSubmission(input: SubmitInput): PreparedSubmission {
    return prepareSubmission(input, this.maxParamsBytes, this.placeId);
  }

  /**
   * Validates a schedule of jobs and builds what `queue.setSchedule(id, spec)` takes: its job is
   * checked as a submission (fields `job.type`, `job.params`, ...), `startAt` and `endAt` are read
   * as ISO-8601 times; the queue checks the rest (`cron`, `tz`, `everyMs`, `limit`, `misfire`,
   * `overlap`) before it writes anything. Each occurrence is a job of this store, with
   * `schedule: { id, dueAt }`. Writes nothing.
   * @throws {@link JobInputError} naming the field and the rule.
   */
  prepareSchedule(input: ScheduleInput): ScheduleSpec<JobMessage> {
    return prepareSchedule(input, this.maxParamsBytes);
  }

  /** A schedule read from the queue (`queue.getSchedule`, `listSchedules`, ...) as the API shows it. */
  toJobSchedule(schedule: Schedule<JobMessage>): JobSchedule {
    return toJobSchedule(schedule);
  }

  /**
   * Builds the queue put of a manual retry: `queue.put(r.payload, r.put)`, whose `retryJob` hook
   * re-queues the job with its attempts reset if it is still failed or cancelled (and otherwise
   * refuses with its status). Null when the job does not exist.
   * @throws {@link JobInputError} for a malformed id; {@link JobStateError} when the job is neither
   * failed nor cancelled.
   */
  async prepareRetry(id: string): Promise<PreparedRetry | null> {
    checkJobId('id', id);
    if (this.partitioned) return await this.partitioned.storeOf(id).prepareRetry(id);
    const [fields, storedPayload] = await reads(this.redis.multi().hgetall(this.keys.job(id)).get(this.keys.payload(id)));
    const record = (fields ?? {}) as RecordFields;
    if (!record.s || !record.t) return null;
    if (record.s !== 'failed' && record.s !== 'cancelled') {
      throw new JobStateError(id, record.s as JobStatus, `job ${id} is ${record.s}; only a failed or cancelled job can be retried`);
    }
    return retryOf(id, record, storedPayload as string | null);
  }

  /**
   * Deletes, in bounded steps, the finished jobs that fit `filter` (see {@link JobsStore.delete}: a
   * job that is queued, delayed or running is skipped as `not_finished`, never deleted). Each step is
   * one script call that examines 100 index entries, oldest first, so Redis stays
   * responsive however many jobs there are; resending the same action deletes nothing more than what
   * is left. One round trip per step.
   * @throws {@link JobInputError} for a bad filter, or an empty one without `all: true`.
   */
  async deleteJobs(filter: BulkFilter, options: BulkOptions = {}): Promise<BulkResult> {
    if (this.partitioned) return await this.partitioned.bulk('delete', undefined, filter, options);
    return await this.bulk('delete', filter, options, async () => {});
  }

  /**
   * Queues again, in bounded steps, the failed and cancelled jobs that fit `filter`, with their
   * attempts reset, as {@link JobsStore.prepareRetry} and a put would one by one. `queue` is the
   * TaskQueue that runs this store's hooks. Jobs in other statuses are skipped; a job whose status
   * moves meanwhile is refused by the queue's own check (`changed_meanwhile`); once the queue is full
   * (its `maxQueued`), the rest is skipped as `queue_full`. Safe to resend: a job queued again no
   * longer counts as failed or cancelled. Three round trips per step of 100 jobs.
   * @throws {@link JobInputError} for a bad filter, an empty one without `all: true`, or a queue of
   * another key base.
   */
  async retryJobs(queue: TaskQueue<JobMessage>, filter: BulkFilter, options: BulkOptions = {}): Promise<BulkResult> {
    this.checkQueue(queue);
    if (this.partitioned) return await this.partitioned.bulk('retry', queue, filter, options);
    let full = false;
    return await this.bulk('retry', filter, options, async (ids, tally) => {
      if (full) return tally.skip('queue_full', ids.length);
      const replies = await reads(ids.reduce((multi, id) => multi.hgetall(this.keys.job(id)).get(this.keys.payload(id)), this.redis.multi()));
      const retries = ids.map((id, index) => retryOf(id, (replies[index * 2] ?? {}) as RecordFields, replies[index * 2 + 1] as string | null));
      try {
        const puts = await queue.putMany(retries.map((retry) => ({ payload: retry.payload, ...retry.put })));
        const done = puts.filter((put) => put.outcome === 'queued' || put.outcome === 'delayed').length;
        tally.changed += done;
        tally.skip('changed_meanwhile', ids.length - done);
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        full = true;
        tally.skip('queue_full', ids.length);
      }
    });
  }

  /**
   * Cancels, in bounded steps, the queued, delayed and running jobs that fit `filter`: a queued or
   * delayed job is cancelled at once; a running one is asked to stop, as `queue.remove` does for one
   * job (its worker learns it at once, or at its next heartbeat), and counts as changed. `queue` is the
   * TaskQueue that runs this store's hooks. Finished jobs are skipped. Safe to resend. Two round trips
   * per step of 100 jobs.
   * @throws {@link JobInputError} for a bad filter, an empty one without `all: true`, or a queue of
   * another key base.
   */
  async cancelJobs(queue: TaskQueue<JobMessage>, filter: BulkFilter, options: BulkOptions = {}): Promise<BulkResult> {
    this.checkQueue(queue);
    if (this.partitioned) return await this.partitioned.bulk('cancel', queue, filter, options);
    return await this.bulk('cancel', filter, options, async (ids, tally) => {
      const removals = await Promise.all(ids.map(async (id) => await queue.remove(id, { hook: 'cancelJob' })));
      const done = removals.filter((removal) => removal.outcome === 'removed' || removal.outcome === 'cancel-requested').length;
      tally.changed += done;
      tally.skip('changed_meanwhile', ids.length - done);
    });
  }

  /**
   * The vars of a successful completion, for `queue.ack(lease, { vars })` or a piggy-backed ack of
   * `queue.reserve`. A JSON value (undefined is null), or bytes: `{ contentType, data }` (a bare
   * Buffer or Uint8Array is `application/octet-stream`). Bytes are stored as base64.
   * @throws {@link JobInputError} (field `result`) when it is not JSON or larger than `maxResultBytes`.
   */
  completion(result: unknown | BytesResult): HookVars {
    return { vars: { result: encodeResult(result, this.maxResultBytes) } };
  }

  /**
   * The vars of a failure, for `queue.nack(lease, { vars })` or an ack with hook `cancel`. Messages
   * longer than 2000 characters are shortened.
   * @throws {@link JobInputError} when `message` is not a string or `code` is not 1 to 64 letters,
   * digits, ".", "_" or "-".
   */
  failure(error: JobError): HookVars {
    if (!isPlainObject(error) || typeof error.message !== 'string') {
      throw new JobInputError('error.message', `must be a string (received ${describe(isPlainObject(error) ? error.message : error)})`);
    }
    const { message, code } = error;
    if (code !== undefined && (typeof code !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(code))) {
      throw new JobInputError('error.code', `must be 1 to 64 letters, digits, ".", "_" or "-" (received ${describe(code)})`);
    }
    const short = message.length > MAX_ERROR_MESSAGE ? `${message.slice(0, MAX_ERROR_MESSAGE - 3)}...` : message;
    return { vars: { error: JSON.stringify(code === undefined ? { message: short } : { message: short, code }) } };
  }

  /**
   * Records the progress of a running job (a number 0..100, or a JSON object of at most 1 KiB) and
   * publishes it. Fenced: false, and nothing written, unless the job is running under lease `token`.
   * @throws {@link JobInputError} for a malformed id, token or value.
   */
  async progress(id: string, token: string, value: number | Record<string, unknown>): Promise<boolean> {
    checkJobId('id', id);
    if (typeof token !== 'string' || token === '' || token.length > 200) {
      throw new JobInputError('token', `must be the lease token from reserve (received ${describe(token)})`);
    }
    let text: string;
    if (typeof value === 'number') {
      if (!Number.isFinite(value) || value < 0 || value > 100) {
        throw new JobInputError('progress', `must be a number from 0 to 100 or a JSON object (received ${describe(value)})`);
      }
      text = JSON.stringify(value);
    } else if (isPlainObject(value)) {
      text = toJsonText('progress', value, MAX_PROGRESS_BYTES, `progress objects are limited to ${MAX_PROGRESS_BYTES} bytes`);
    } else {
      throw new JobInputError('progress', `must be a number from 0 to 100 or a JSON object (received ${describe(value)})`);
    }
    if (this.partitioned) return await this.partitioned.storeOf(id).progress(id, token, value);
    return (await this.scripts.run(this.redis, 'progress', [this.keys.job(id)], [id, token, text])) === 1;
  }

  /**
   * The job, or null when it does not exist (or its retention ended).
   * @throws {@link JobInputError} for a malformed id.
   */
  async get(id: string): Promise<Job | null> {
    checkJobId('id', id);
    if (this.partitioned) return await this.partitioned.storeOf(id).get(id);
    return await this.read(id);
  }

  /**
   * The result of a succeeded job; null when the job does not exist (or its retention ended).
   * @throws {@link JobInputError} for a malformed id; {@link JobStateError} when the job did not
   * succeed (its `status` says where it is).
   */
  async getResult(id: string): Promise<JobResult | null> {
    checkJobId('id', id);
    if (this.partitioned) return await this.partitioned.storeOf(id).getResult(id);
    const [fields, longText] = (await reads(this.redis.multi().hmget(this.keys.job(id), 's', 'x').get(this.keys.result(id)))) as [
      (string | null)[], string | null,
    ];
    const [status, shortText] = fields;
    if (!status) return null;
    const text = shortText ?? longText;
    if (status !== 'succeeded') {
      throw new JobStateError(id, status as JobStatus, `job ${id} is ${status}; only a succeeded job has a result`);
    }
    return text ? decodeResult(text) : null;
  }

  /**
   * What the dependencies of job `id` came to (see `SubmitInput.dependsOn`), in the order submitted:
   * each one's status, its result when it succeeded, its error when it failed. One round trip. An
   * empty array for a job without dependencies; null when the job does not exist. A dependency whose
   * record is gone (deleted, or its retention ended) has status null.
   * @throws {@link JobInputError} for a malformed id.
   */
  async dependencies(id: string): Promise<DependencyOutcome[] | null> {
    checkJobId('id', id);
    const flat = (await this.scripts.run(this.redis, 'dependencies', [this.keys.job(id)], [])) as string[] | null;
    if (flat === null) return null;
    const outcomes: DependencyOutcome[] = [];
    for (let at = 0; at < flat.length; at += 4) {
      const [dep, status, result, error] = flat.slice(at, at + 4) as [string, string, string, string];
      outcomes.push({
        id: dep,
        status: status === '' ? null : (status as JobStatus),
        result: status === 'succeeded' && result !== '' ? decodeResult(result) : null,
        error: error === '' ? null : toError(error),
      });
    }
    return outcomes;
  }

  /**
   * Deletes a finished job (succeeded, failed or cancelled) for good: its record, params, result and
   * its entries in every index, in one script, so a job is either wholly there or wholly gone. A job
   * that is not finished is refused and nothing changes: a running job is never deleted under its
   * worker (cancel it first). Returns false when there is no such job (never was, already deleted, or
   * its retention ended), so deleting twice is harmless. One round trip.
   * @throws {@link JobInputError} for a malformed id; {@link JobStateError} when the job is queued,
   * delayed or running (its `status` says which).
   */
  async delete(id: string): Promise<boolean> {
    checkJobId('id', id);
    if (this.partitioned) return await this.partitioned.storeOf(id).delete(id);
    const outcome = String(await this.scripts.run(this.redis, 'delete', [this.keys.job(id)], [id]));
    if (outcome === 'deleted') return true;
    if (outcome === 'missing') return false;
    throw new JobStateError(id, outcome as JobStatus, `job ${id} is ${outcome}; only a finished job (succeeded, failed or cancelled) can be deleted`);
  }

  /**
   * A page of jobs, newest first, optionally of one status, type and/or tag, created in a time window.
   * Pass `nextCursor` back for the next page; pages stay correct while jobs are added (new jobs come
   * before the first page). A page may be shorter than `limit` with a non-null `nextCursor` when the
   * jobs asked for are sparse among the ones walked (each call examines a bounded number of index
   * entries). One round trip.
   * @throws {@link JobInputError} for an unknown field, status, malformed type, tag, time, limit or cursor.
   */
  async list(query: ListQuery = {}): Promise<JobPage> {
    if (!isPlainObject(query)) throw new JobInputError('query', `must be an object (received ${describe(query)})`);
    checkKnownFields(query, LIST_FIELDS);
    const status = query.status === undefined ? '' : checkStatus('status', query.status);
    const type = query.type === undefined ? '' : checkType('type', query.type);
    const tag = query.tag === undefined ? '' : checkTag('tag', query.tag);
    const limit = checkInteger('limit', query.limit ?? 50, 1, 1000);
    const cursor = query.cursor === undefined ? undefined : checkJobId('cursor', query.cursor);
    const { max, min } = idRange(cursor, query.createdAfter, query.createdBefore);
    if (this.partitioned) return await this.partitioned.list(query, limit);
    const [next, rows] = (await this.scripts.run(this.redis, 'list', [this.keys.finished], [max, limit, status, type, LIST_SCAN_BUDGET + limit, tag, min])) as [
      string, [string, string, string[]][],
    ];
    return {
      jobs: rows.map(([id, payload, flat]) => toJob(id, fieldsFromFlat(flat), payload === '' ? null : payload)),
      nextCursor: next === '' ? null : next,
    };
  }

  /** Jobs by status, without scanning (after purging finished jobs whose retention ended). One round trip. */
  async counts(): Promise<Record<JobStatus, number>> {
    if (this.partitioned) return await this.partitioned.counts();
    const values = (await this.scripts.run(this.redis, 'counts', [this.keys.finished], [PURGE_BATCH])) as number[];
    return Object.fromEntries(JOB_STATUSES.map((status, index) => [status, Number(values[index] ?? 0)])) as Record<JobStatus, number>;
  }

  /**
   * Jobs by status in each partition, by index (one entry on a queue of one partition). One round
   * trip per partition, in parallel.
   */
  async partitionCounts(): Promise<Array<Record<JobStatus, number>>> {
    if (this.partitioned) return await this.partitioned.partitionCounts();
    return [await this.counts()];
  }

  /**
   * Calls `listener` with the job's current state, then with every status change (the whole job) and
   * progress update, until the returned function is called. Subscribes before reading, so a change
   * that happens meanwhile is not missed, and never repeats a status already sent. All watchers of a
   * store share one subscriber connection (opened by the first, closed when the last one stops).
   * @throws {@link JobInputError} for a malformed id; {@link JobNotFoundError} when the job does not exist.
   */
  async watch(id: string, listener: (event: JobEvent) => void): Promise<() => Promise<void>> {
    checkJobId('id', id);
    if (typeof listener !== 'function') throw new JobInputError('listener', `must be a function (received ${describe(listener)})`);
    if (this.partitioned) return await this.partitioned.storeOf(id).watch(id, listener);
    return await this.events.watch(id, listener);
  }

  /**
   * Calls `listener` with every status change of every job of the queue (kind `status`, with the
   * job's id and new status: read the job for the rest), the creations announced with
   * {@link JobsStore.announceCreated}, and kind `resync` when the subscription was cut and
   * came back (changes may have been missed: read again what you show). Until the returned function
   * is called. Resolves once every later change will be sent: read what you show after it resolves.
   * Shares the store's one subscriber connection with {@link JobsStore.watch}.
   */
  async watchQueue(listener: (change: QueueChange) => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') throw new JobInputError('listener', `must be a function (received ${describe(listener)})`);
    return await this.events.watchQueue(listener);
  }

  /**
   * Tells the queue's watchers ({@link JobsStore.watchQueue}, in any process) about jobs just
   * created, with the status they were created in: the queue's scripts send transitions but not
   * creations. One PUBLISH for all of them, sent only while some store watches the queue (looked up
   * at most once a second); nothing while nobody does. Call it after a put that made them.
   * @throws {@link JobInputError} for a malformed id or status (nothing is sent).
   */
  announceCreated(jobs: ReadonlyArray<Pick<Job, 'id' | 'status'>>): Promise<void> {
    // Not an async function (it runs after every submission): a refusal is still a rejection.
    try {
      if (!Array.isArray(jobs)) throw new JobInputError('jobs', `must be an array (received ${describe(jobs)})`);
      const checked = jobs.map((job, index) => ({ id: checkJobId(`jobs[${index}].id`, job?.id), status: checkStatus(`jobs[${index}].status`, job?.status) }));
      return this.events.announce(checked);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Ends the retention of every finished job whose time is up: its keys, and its entries in every
   * index. Terminal transitions and {@link JobsStore.counts} do this for a few jobs at a time; call it
   * from time to time when a queue is idle. Returns how many jobs were purged.
   */
  async purgeExpired(): Promise<number> {
    if (this.partitioned) return await this.partitioned.purgeExpired();
    let total = 0;
    for (;;) {
      const purged = Number(await this.scripts.run(this.redis, 'purge', [this.keys.finished], [PURGE_BATCH]));
      total += purged;
      if (purged < PURGE_BATCH) return total;
    }
  }

  /**
   * Records that a worker is alive (its heartbeat): the record expires after `info.ttlMs` unless
   * written again. One round trip; writing it twice changes nothing more.
   */
  async recordWorker(info: WorkerInfo): Promise<void> {
    if (typeof info !== 'object' || info === null || !/^[A-Za-z0-9_.:-]{1,200}$/.test(String(info.id))) {
      throw new JobInputError('info.id', 'must be 1 to 200 letters, digits, ".", "_", ":" or "-"');
    }
    checkInteger('info.ttlMs', info.ttlMs, 1, DAY_MS);
    await writePresence(this.redis, this.keyBase, info);
  }

  /** Removes a worker's presence record (a worker stopping cleanly). */
  async forgetWorker(id: string): Promise<void> {
    await removePresence(this.redis, this.keyBase, String(id));
  }

  /** Live workers (their records have not expired), most recent heartbeat first. Two round trips. */
  async workers(limit = 1_000): Promise<WorkerInfo[]> {
    checkInteger('limit', limit, 1, 10_000);
    return await readPresence(this.redis, this.keyBase, limit);
  }

  /**
   * Runs a bulk action step by step: the bulk script walks 100 index entries from the
   * cursor and names the jobs `apply` acts on (a delete is done in the script itself).
   */
  private async bulk(
    action: 'retry' | 'cancel' | 'delete', filter: BulkFilter, options: BulkOptions, apply: (ids: string[], tally: BulkTally) => Promise<void>,
  ): Promise<BulkResult> {
    const { args, dryRun } = bulkArgs(filter, options);
    const tally = new BulkTally(dryRun);
    let min = '-';
    for (;;) {
      const step = toBulkStep(await this.scripts.run(this.redis, 'bulk', [this.keys.finished], [
        action, min, args.max, args.status, args.type, args.tag, args.finishedBefore, BULK_BATCH, dryRun ? '1' : '0',
      ]));
      tally.step(step);
      if (step.ids.length > 0) await apply(step.ids, tally);
      if (step.cursor === '') return tally.result();
      min = `(${step.cursor}`;
      // A breath between steps: Redis goes idle for a moment, so other clients are served promptly
      // even on a machine whose cores are all busy.
      await new Promise((resolve) => setTimeout(resolve, BULK_PAUSE_MS));
    }
  }

  private checkQueue(queue: TaskQueue<JobMessage>): void {
    const { keyBase: base, count } = this.partitions;
    if (typeof queue !== 'object' || queue === null || typeof queue.putMany !== 'function' || queue.keyBase !== base || queue.partitions?.count !== count) {
      throw new JobInputError('queue', `must be the TaskQueue whose hooks are this store's (key base ${base}, ${count} partition${count === 1 ? '' : 's'})`);
    }
  }

  /** The job's hash and its payload (when stored beside it), read together. */
  private async read(id: string): Promise<Job | null> {
    const [fields, params] = (await reads(this.redis.multi().hgetall(this.keys.job(id)).get(this.keys.payload(id)))) as [
      Record<string, string>, string | null,
    ];
    if (!fields || Object.keys(fields).length === 0) return null;
    return toJob(id, fields, params);
  }
}
