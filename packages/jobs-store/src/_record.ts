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

function toError(text: string | undefined): JobError | null {
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

/** The job of a record (`fields` non-empty) and its params text. */
export function toJob(id: string, fields: RecordFields, paramsText: string | null): Job {
  const params = parseJson(paramsText);
  return {
    id,
    type: fields.t ?? '',
    params: isPlainObject(params) ? params : {},
    status: fields.s as JobStatus,
    attempts: Number(fields.a ?? 0),
    maxAttempts: Number(fields.m ?? 0),
    timeoutMs: fields.o === undefined ? null : Number(fields.o),
    createdAt: iso(fields.c) ?? new Date(0).toISOString(),
    startedAt: iso(fields.r),
    finishedAt: iso(fields.f),
    progress: toProgress(fields.p),
    error: toError(fields.e),
    worker: fields.w === undefined || fields.w === '' ? null : fields.w,
  };
}
