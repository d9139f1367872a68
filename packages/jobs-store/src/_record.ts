import { parseJson } from './_json.js';
import { isPlainObject } from './_validate.js';
import type { Job, JobError, JobStatus } from './job-types.js';

/** Record fields as Redis returns them (HGETALL); names as in commands/_lib.lua. */
export type RecordFields = Record<string, string>;

/** HGETALL's flat [field, value, ...] array (as Lua returns it) as an object. */
export function fieldsFromFlat(flat: readonly string[]): RecordFields {
  const fields: RecordFields = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index] as string] = flat[index + 1] as string;
  return fields;
}

function iso(ms: string | undefined): string | null {
  if (ms === undefined || ms === '') return null;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

export function toError(text: string | undefined): JobError | null {
  if (text === undefined) return null;
  const value = parseJson(text);
  if (isPlainObject(value) && typeof value.message === 'string') {
    return typeof value.code === 'string' ? { message: value.message, code: value.code } : { message: value.message };
  }
  return { message: text };
}

function toProgress(text: string | undefined): Job['progress'] {
  const value = parseJson(text);
  if (typeof value === 'number' || isPlainObject(value)) return value as Job['progress'];
  return null;
}

/**
 * The params of a job, from the queue's payload (JSON `{ type, params, timeoutMs }`): the hash's
 * field P, or the payload key's text when the payload was too long to sit in the hash.
 */
export function paramsOf(fields: RecordFields, storedPayload: string | null): Record<string, unknown> {
  const payload = parseJson(fields.P ?? storedPayload);
  const params = isPlainObject(payload) ? payload.params : undefined;
  return isPlainObject(params) ? params : {};
}

/**
 * The job of a hash (`fields` non-empty): the record's fields (lower case) and the queue's (upper
 * case: attempts, max attempts, priority, the last lease's consumer), with the payload stored beside it.
 */
export function toJob(id: string, fields: RecordFields, storedPayload: string | null): Job {
  return {
    id,
    type: fields.t ?? '',
    params: paramsOf(fields, storedPayload),
    status: fields.s as JobStatus,
    priority: Number(fields.Y ?? 0),
    tags: fields.g ? fields.g.split(',') : [],
    attempts: Number(fields.A ?? 0),
    maxAttempts: Number(fields.M ?? 0),
    timeoutMs: fields.o === undefined ? null : Number(fields.o),
    createdAt: iso(fields.c) ?? new Date(0).toISOString(),
    startedAt: iso(fields.r),
    finishedAt: iso(fields.f),
    progress: toProgress(fields.p),
    error: toError(fields.e),
    worker: fields.C === undefined || fields.C === '' ? null : fields.C,
    ...(fields.h === undefined ? {} : { schedule: { id: fields.h, dueAt: iso(fields.d) ?? new Date(0).toISOString() } }),
    ...(fields.D ? { dependsOn: fields.D.split(' '), onDependencyFailure: fields.F === 'r' ? 'run' : 'fail' } : {}),
  };
}
