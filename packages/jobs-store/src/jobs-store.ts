import type { Cluster, Redis } from 'ioredis';
import { JobInputError, JobStateError } from './errors.js';
import { JOB_STATUSES, type BytesResult, type Job, type JobError, type JobEvent, type JobResult, type JobStatus, type SubmitInput } from './job-types.js';
import type { HookVars, JobPage, JobsStoreOptions, ListQuery, PreparedRetry, PreparedSubmission } from './jobs-store-types.js';
import { parseJson, toJsonText } from './_json.js';
import { keyBase, StoreKeys } from './_keys.js';
import { fieldsFromFlat, toJob } from './_record.js';
import { decodeResult, encodeResult } from './_result.js';
import { hooksChunk, ScriptSet } from './_scripts.js';
import { prepareSubmission } from './_submission.js';
import { checkInteger, checkJobId, checkKnownFields, checkName, checkStatus, checkType, describe, isPlainObject } from './_validate.js';
import { EventHub } from './_watcher.js';
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
const LIST_FIELDS = ['status', 'type', 'limit', 'cursor'] as const;

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
  /** `{prefix:queue}`: the hash-tagged base of every key, the same as the TaskQueue's. */
  readonly keyBase: string;
  private readonly redis: Redis | Cluster;
  private readonly keys: StoreKeys;
  private readonly retentionMs: number;
  private readonly maxResultBytes: number;
  private readonly maxParamsBytes: number;
  private readonly scripts: ScriptSet;
  private readonly events: EventHub;

  constructor(options: JobsStoreOptions) {
    if (!isPlainObject(options)) throw new JobInputError('options', `must be an object (received ${describe(options)})`);
    checkKnownFields(options, ['redis', 'prefix', 'queue', 'retentionMs', 'maxResultBytes', 'maxParamsBytes'], 'options.');
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
    this.keyBase = keyBase(prefix, queue);
    this.keys = new StoreKeys(this.keyBase);
    this.scripts = new ScriptSet(this.keyBase, this.retentionMs);
    this.events = new EventHub(redis, this.keys.events, this.keys.watched, (id) => this.read(id));
  }

  /**
   * The Lua chunk to give a TaskQueue as `hooks` (same prefix and queue name as this store). Its hooks
   * are `put`, `retryJob`, `reserve`, `promote`, `expire`, `release`, `retry`, `ack`, `dead`, `cancel`
   * and `cancelJob` (also as `remove`); see src/commands/hooks.lua for what each does and refuses.
   */
  queueHooks(): string {
    return hooksChunk(this.keyBase, this.retentionMs);
  }

  /**
   * Validates a submission and builds the queue put that creates it: `queue.put(s.payload, s.put)`.
   * Writes nothing. The put's outcome `refused` carries the id of the job that already exists: the
   * first job of the same `idempotencyKey` (also when two submissions race), or this very id when the
   * same put was applied before.
   * @throws {@link JobInputError} naming the field and the rule.
   */
  prepareSubmission(input: SubmitInput): PreparedSubmission {
    return prepareSubmission(input, this.maxParamsBytes);
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
    const [fields, paramsText] = await reads(this.redis.multi().hmget(this.keys.job(id), 's', 't', 'm', 'o').get(this.keys.params(id)));
    const [status, type, maxAttempts, timeoutMs] = fields as (string | null)[];
    if (!status || !type) return null;
    if (status !== 'failed' && status !== 'cancelled') {
      throw new JobStateError(id, status as JobStatus, `job ${id} is ${status}; only a failed or cancelled job can be retried`);
    }
    const params = parseJson(paramsText as string | null);
    return {
      payload: { type, params: isPlainObject(params) ? params : {}, timeoutMs: timeoutMs ? Number(timeoutMs) : null },
      put: { id, maxAttempts: Number(maxAttempts ?? 3), vars: {}, hook: 'retryJob' },
    };
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
    return (await this.scripts.run(this.redis, 'progress', [this.keys.job(id)], [id, token, text])) === 1;
  }

  /**
   * The job, or null when it does not exist (or its retention ended).
   * @throws {@link JobInputError} for a malformed id.
   */
  async get(id: string): Promise<Job | null> {
    checkJobId('id', id);
    return await this.read(id);
  }

  /**
   * The result of a succeeded job; null when the job does not exist (or its retention ended).
   * @throws {@link JobInputError} for a malformed id; {@link JobStateError} when the job did not
   * succeed (its `status` says where it is).
   */
  async getResult(id: string): Promise<JobResult | null> {
    checkJobId('id', id);
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
   * A page of jobs, newest first, optionally of one status and/or type. Pass `nextCursor` back for the
   * next page; pages stay correct while jobs are added (new jobs come before the first page). A page
   * may be shorter than `limit` with a non-null `nextCursor` when the jobs asked for are sparse among
   * the ones walked (each call examines a bounded number of index entries). One round trip.
   * @throws {@link JobInputError} for an unknown field, status, malformed type, limit or cursor.
   */
  async list(query: ListQuery = {}): Promise<JobPage> {
    if (!isPlainObject(query)) throw new JobInputError('query', `must be an object (received ${describe(query)})`);
    checkKnownFields(query, LIST_FIELDS);
    const status = query.status === undefined ? '' : checkStatus('status', query.status);
    const type = query.type === undefined ? '' : checkType('type', query.type);
    const limit = checkInteger('limit', query.limit ?? 50, 1, 1000);
    const cursor = query.cursor === undefined ? '' : checkJobId('cursor', query.cursor);
    const [next, rows] = (await this.scripts.run(this.redis, 'list', [this.keys.finished], [cursor, limit, status, type, LIST_SCAN_BUDGET + limit])) as [
      string, [string, string, string[]][],
    ];
    return {
      jobs: rows.map(([id, params, flat]) => toJob(id, fieldsFromFlat(flat), params === '' ? null : params)),
      nextCursor: next === '' ? null : next,
    };
  }

  /** Jobs by status, without scanning (after purging finished jobs whose retention ended). One round trip. */
  async counts(): Promise<Record<JobStatus, number>> {
    const values = (await this.scripts.run(this.redis, 'counts', [this.keys.finished], [PURGE_BATCH])) as number[];
    return Object.fromEntries(JOB_STATUSES.map((status, index) => [status, Number(values[index] ?? 0)])) as Record<JobStatus, number>;
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
    return await this.events.watch(id, listener);
  }

  /**
   * Ends the retention of every finished job whose time is up: its keys, and its entries in every
   * index. Terminal transitions and {@link JobsStore.counts} do this for a few jobs at a time; call it
   * from time to time when a queue is idle. Returns how many jobs were purged.
   */
  async purgeExpired(): Promise<number> {
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

  /** The record and params of `id`, read together. */
  private async read(id: string): Promise<Job | null> {
    const [fields, params] = (await reads(this.redis.multi().hgetall(this.keys.job(id)).get(this.keys.params(id)))) as [
      Record<string, string>, string | null,
    ];
    if (!fields || Object.keys(fields).length === 0) return null;
    return toJob(id, fields, params);
  }
}
