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
