import { createHash } from 'node:crypto';
import { decodeTime } from 'ulid';
import { JobInputError } from './errors.js';
import { isJobId, newJobId } from './job-id.js';
import type { SubmitInput } from './job-types.js';
import type { PreparedSubmission } from './jobs-store-types.js';
import { toJsonText } from './_json.js';
import { checkInteger, checkKnownFields, checkTags, checkType, describe, isPlainObject } from './_validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const FIELDS = ['type', 'params', 'delayMs', 'maxAttempts', 'timeoutMs', 'idempotencyKey', 'priority', 'tags', 'partitionKey', 'dependsOn', 'onDependencyFailure'] as const;
const PARTITION_KEY = /^[\x20-\x7e]{1,128}$/;
const MAX_DEPENDENCIES = 1_000;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/** The hash an idempotency key is stored under: short, and free of anything that could address another key. */
export function idempotencyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 22);
}

/**
 * The limit scopes a job counts against besides the queue's (TaskQueue `scopes`): its type and each
 * of its tags, so that `TaskQueue.setLimit('type:<type>', ...)` limits the jobs of one type and
 * `setLimit('tag:<tag>', ...)` those of one tag (a customer, a tenant).
 */
export function jobScopes(type: string, tags: readonly string[] = []): string[] {
  return [`type:${type}`, ...tags.map((tag) => `tag:${tag}`)];
}

/**
 * Where a submission goes on a partitioned queue: the id (a ULID) made an id of the partition of its
 * dependencies, or else the one its partition key, or else its idempotency key, names, or of the
 * next partition in turn.
 */
export type PlaceId = (ulid: string, keys: { partitionKey: string | undefined; idempotencyKey: string | undefined; dependsOn: readonly string[] }) => string;

/** The time part of the last id decoded, its milliseconds and their ISO form: ids of one millisecond share them. */
let lastTime = { text: '', ms: 0, iso: '' };

/** The creation time a job id encodes (its first ten characters), decoded once per millisecond. */
function idTime(id: string): { ms: number; iso: string } {
  const text = id.slice(0, 10);
  if (text !== lastTime.text) {
    const ms = decodeTime(id);
    lastTime = { text, ms, iso: new Date(ms).toISOString() };
  }
  return lastTime;
}

/** Validates a submission (nothing is written) and builds the queue put whose `put` hook creates the record. */
export function prepareSubmission(input: unknown, maxParamsBytes: number, placeId?: PlaceId): PreparedSubmission {
  if (!isPlainObject(input)) throw new JobInputError('body', `must be a JSON object (received ${describe(input)})`);
  checkKnownFields(input, FIELDS);
  const { type, params = {}, delayMs = 0, maxAttempts = 3, timeoutMs, idempotencyKey, priority = 0, tags = [], partitionKey, dependsOn = [], onDependencyFailure } = input as Partial<SubmitInput>;
  checkType('type', type);
  if (!isPlainObject(params)) throw new JobInputError('params', `must be a JSON object (received ${describe(params)})`);
  const paramsText = toJsonText('params', params, maxParamsBytes, 'maxParamsBytes');
  checkInteger('delayMs', delayMs, 0, 365 * DAY_MS, ' (365 days)');
  checkInteger('maxAttempts', maxAttempts, 1, 100);
  checkInteger('priority', priority, -100, 100);
  if (timeoutMs !== undefined && timeoutMs !== null) checkInteger('timeoutMs', timeoutMs, 1, DAY_MS, ' (24 hours)');
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
    throw new JobInputError('idempotencyKey', `must be 1 to 200 printable ASCII characters (received ${describe(idempotencyKey)})`);
  }
  checkTags('tags', tags);
  if (partitionKey !== undefined && (typeof partitionKey !== 'string' || !PARTITION_KEY.test(partitionKey))) {
    throw new JobInputError('partitionKey', `must be 1 to 128 printable ASCII characters (received ${describe(partitionKey)})`);
  }
  const deps = checkDependsOn(dependsOn);
  if (onDependencyFailure !== undefined && onDependencyFailure !== 'fail' && onDependencyFailure !== 'run') {
    throw new JobInputError('onDependencyFailure', `must be "fail" or "run" (received ${describe(onDependencyFailure)})`);
  }
  if (onDependencyFailure !== undefined && deps.length === 0) {
    throw new JobInputError('onDependencyFailure', 'is only meaningful with dependsOn');
  }
  const waits = deps.length > 0 ? { dependsOn: deps, onDependencyFailure: onDependencyFailure ?? 'fail' } as const : undefined;

  // The creation time is the producer's clock, the one the id encodes, so the job can be answered
  // without reading it back.
  // The id's time, which the creation filters of list() read, is the creation time exactly.
  const ulid = newJobId(Date.now());
  const id = placeId ? placeId(ulid, { partitionKey, idempotencyKey, dependsOn: deps }) : ulid;
  const { ms: createdMs, iso: createdAt } = idTime(id);
  const vars: Record<string, string> = { type: type as string, created: String(createdMs) };
  if (typeof timeoutMs === 'number') vars.timeoutMs = String(timeoutMs);
  if (idempotencyKey !== undefined) vars.idem = idempotencyHash(idempotencyKey);
  // Tags hold no ',' (checkTags), so the hooks split them again there.
  if (tags.length > 0) vars.tags = tags.join(',');
  // The worker and the job get the params as they will be stored (JSON round trip), not the caller's
  // object: one copy, which the payload and the job share (the payload is encoded at once by the put).
  const storedParams = JSON.parse(paramsText) as Record<string, unknown>;
  return {
    id,
    payload: { type: type as string, params: storedParams, timeoutMs: timeoutMs ?? null },
    put: { id, delayMs, maxAttempts, vars, priority, scopes: jobScopes(type as string, tags), ...waits },
    job: {
      id, type: type as string, params: storedParams,
      // Until the put says otherwise (its dependencies may all have succeeded already).
      status: waits ? 'waiting' : delayMs > 0 ? 'delayed' : 'queued', priority, tags: [...tags],
      attempts: 0, maxAttempts, timeoutMs: timeoutMs ?? null, createdAt,
      startedAt: null, finishedAt: null, progress: null, error: null, worker: null,
      ...(waits ? { dependsOn: [...deps], onDependencyFailure: waits.onDependencyFailure } : {}),
    },
  };
}

/** Dependencies: at most 1,000 distinct job ids. */
function checkDependsOn(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_DEPENDENCIES) {
    throw new JobInputError('dependsOn', `must be an array of at most ${MAX_DEPENDENCIES} job ids (received ${describe(value)})`);
  }
  const seen = new Set<string>();
  value.forEach((dep, index) => {
    if (!isJobId(dep)) throw new JobInputError(`dependsOn[${index}]`, `must be a job id (a ULID: 26 characters of Crockford base32, upper case; received ${describe(dep)})`);
    if (seen.has(dep)) throw new JobInputError(`dependsOn[${index}]`, `names ${dep} twice`);
    seen.add(dep);
  });
  return [...seen];
}
