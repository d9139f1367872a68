import { JobInputError } from './errors.js';
import { isJobId } from './job-id.js';
import { JOB_STATUSES, type JobStatus } from './job-types.js';

export const TYPE_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** A short, safe description of a received value for messages (never a whole payload). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return `an object (${Object.getPrototypeOf(value)?.constructor?.name ?? 'null prototype'})`;
  return `a ${typeof value}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Refuses fields of `input` that are not in `allowed`. */
export function checkKnownFields(input: Record<string, unknown>, allowed: readonly string[], prefix = ''): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) {
      throw new JobInputError(`${prefix}${key}`, `is not a known field (known: ${allowed.join(', ')})`);
    }
  }
}

export function checkInteger(field: string, value: unknown, min: number, max: number, unit = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new JobInputError(field, `must be an integer from ${min} to ${max}${unit} (received ${describe(value)})`);
  }
  return value;
}

export function checkJobId(field: string, value: unknown): string {
  if (!isJobId(value)) {
    throw new JobInputError(field, `must be a job id (a ULID: 26 characters of Crockford base32, upper case; received ${describe(value)})`);
  }
  return value;
}

export function checkType(field: string, value: unknown): string {
  if (typeof value !== 'string' || !TYPE_PATTERN.test(value)) {
    throw new JobInputError(field, `must match [a-z0-9][a-z0-9_.-]{0,63} (received ${describe(value)})`);
  }
  return value;
}

export function checkStatus(field: string, value: unknown): JobStatus {
  if (typeof value !== 'string' || !(JOB_STATUSES as readonly string[]).includes(value)) {
    throw new JobInputError(field, `must be one of ${JOB_STATUSES.join(', ')} (received ${describe(value)})`);
  }
  return value as JobStatus;
}

/** Prefix and queue names become parts of keys: no braces, spaces or anything else that could address another key. */
export function checkName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(value)) {
    throw new JobInputError(field, `must be 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit (received ${describe(value)})`);
  }
  return value;
}

const TAG = /^[A-Za-z0-9_.:@-]{1,64}$/;
export const MAX_TAGS = 8;

export function checkTag(field: string, value: unknown): string {
  if (typeof value !== 'string' || !TAG.test(value)) {
    throw new JobInputError(field, `must be 1 to 64 letters, digits, "_", ".", ":", "@" or "-" (received ${describe(value)})`);
  }
  return value;
}

/** Up to 8 distinct tags. */
export function checkTags(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_TAGS) {
    throw new JobInputError(field, `must be an array of at most ${MAX_TAGS} tags (received ${describe(value)})`);
  }
  const seen = new Set<string>();
  value.forEach((tag, index) => {
    checkTag(`${field}[${index}]`, tag);
    if (seen.has(tag)) throw new JobInputError(`${field}[${index}]`, `repeats the tag ${JSON.stringify(tag)}`);
    seen.add(tag);
  });
  return value as string[];
}

/** An ISO-8601 date or date-time with an explicit zone when it has a time (or a bare date, UTC). */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2})))?$/;
const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Ms since the epoch of an ISO-8601 string whose every part is in range (Date.parse takes 2026-02-30 as March 2), or NaN. */
function parseIsoTime(text: string): number {
  const parts = ISO_TIME.exec(text);
  if (!parts) return Number.NaN;
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHours = 0, offsetMinutes = 0] = parts.slice(1).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year as number, month as number, 0)).getUTCDate();
  const valid = (month as number) >= 1 && (month as number) <= 12 && (day as number) >= 1 && (day as number) <= daysInMonth
    && (hour as number) <= 23 && (minute as number) <= 59 && (second as number) <= 59 && (offsetHours as number) <= 23 && (offsetMinutes as number) <= 59;
  return valid ? Date.parse(text) : Number.NaN;
}

/** A time filter: a Date or an ISO-8601 string, from 1970 to 9999; answers ms since the epoch. */
export function checkTime(field: string, value: unknown): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? parseIsoTime(value) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0 || ms > LATEST) {
    throw new JobInputError(field, `must be an ISO-8601 date or date-time from 1970 to 9999, e.g. 2026-01-31T12:00:00Z (received ${describe(value)})`);
  }
  return ms;
}
