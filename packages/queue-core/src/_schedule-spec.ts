// Schedules (docs/decisions/0019): checking a definition before anything is written, and turning it
// into the arguments of commands/schedule_set.lua and back from the schedule's hash.
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { InvalidArgumentError } from './errors.js';
import { checkHookName, checkInteger, checkName, checkScopes, checkVars } from './_validate.js';
import type { MisfirePolicy, OverlapPolicy, Schedule, ScheduleSpec } from './task-queue-types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * The shortest interval of a schedule, in ms: occurrences are made by the consumers' reserve calls,
 * and an occurrence is late after half an interval, so a shorter one would be missed by any pause.
 * @public
 */
export const SCHEDULE_MIN_EVERY_MS = 1000;
const MAX_EVERY_MS = 366 * DAY_MS;
/** The latest time a Date can hold, in ms. */
const MAX_TIME_MS = 8_640_000_000_000_000;
const MAX_MISFIRE_RUNS = 100;
const MAX_LIMIT = 1_000_000_000;
/** How many due times of a cron schedule are kept in Redis (commands/_repeat.lua CRON_TIMES_KEPT). */
export const CRON_TIMES_KEPT = 32;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const FIELDS = new Set([
  'payload', 'maxAttempts', 'priority', 'scopes', 'vars', 'hook', 'cron', 'tz', 'everyMs', 'startAt', 'endAt', 'limit', 'misfire', 'overlap',
]);

/** A checked definition: what schedule_set needs, and the definition text it stores and compares. */
export interface CheckedSchedule {
  readonly id: string;
  /** The stored definition (JSON): also what a read gives back. */
  readonly definition: string;
  readonly stem: string;
  readonly payload: string;
  readonly maxAttempts: number;
  readonly vars: string;
  readonly hook: string;
  readonly priority: number;
  readonly group: string;
  readonly cron: string | null;
  readonly tz: string;
  readonly everyMs: number | null;
  readonly startAt: number | null;
  readonly endAt: number | null;
  readonly limit: number | null;
  readonly misfireRuns: number;
  readonly overlap: OverlapPolicy;
}

/** The definition as stored (JSON), in a fixed order so that the same definition is the same text. */
interface StoredDefinition {
  payload: string;
  maxAttempts: number;
  priority: number;
  scopes: string[];
  vars: Record<string, string>;
  hook: string | null;
  cron: string | null;
  tz: string | null;
  everyMs: number | null;
  startAt: number | null;
  endAt: number | null;
  limit: number | null;
  misfire: MisfirePolicy;
  overlap: OverlapPolicy;
}

/** A schedule id: as a queue name, so it is safe in a key and a URL path. */
export function checkScheduleId(argument: string, id: unknown): string {
  return checkName(argument, id);
}

/**
 * The 16 characters after the due time in every occurrence id: a ULID's random part, from a hash of
 * the schedule id, so the same schedule and due time always give the same id.
 */
export function scheduleStem(id: string): string {
  const bytes = createHash('sha256').update(id, 'utf8').digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === 16) break;
  }
  return out;
}

/** The message id of the occurrence of schedule `id` due at `dueAt` (ms): the due time as a ULID's time, then the stem. */
export function occurrenceId(id: string, dueAt: number): string {
  let time = '';
  let rest = dueAt;
  for (let index = 0; index < 10; index += 1) {
    time = (CROCKFORD[rest % 32] as string) + time;
    rest = Math.floor(rest / 32);
  }
  return time + scheduleStem(id);
}

function checkTime(argument: string, value: unknown): number {
  return checkInteger(argument, value, 0, MAX_TIME_MS);
}

function checkMisfire(value: unknown): { policy: MisfirePolicy; runs: number } {
  if (value === undefined || value === 'one') return { policy: 'one', runs: 1 };
  if (value === 'skip') return { policy: 'skip', runs: 0 };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { max, ...rest } = value as { max?: unknown };
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) throw new InvalidArgumentError(`misfire.${unknown}`, 'absent (known: max)');
    const runs = checkInteger('misfire.max', max, 1, MAX_MISFIRE_RUNS);
    return { policy: { max: runs }, runs };
  }
  throw new InvalidArgumentError('misfire', `'skip', 'one' or { max: n } (n from 1 to ${MAX_MISFIRE_RUNS})`, value);
}

/** Whether `tz` is a time zone this runtime knows (IANA names such as Europe/Berlin, or UTC). */
function checkTimeZone(tz: unknown): string {
  if (typeof tz !== 'string' || tz.length === 0 || tz.length > 64) {
    throw new InvalidArgumentError('tz', 'an IANA time zone such as "Europe/Berlin" or "UTC"', tz);
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new InvalidArgumentError('tz', 'an IANA time zone such as "Europe/Berlin" or "UTC"', tz);
  }
  return tz;
}

/** A cron expression of 5 or 6 fields, parsed by croner; refused when malformed or when it never matches. */
export function parseCron(expression: unknown, tz: string): Cron {
  if (typeof expression !== 'string' || expression.length > 200) {
    throw new InvalidArgumentError('cron', 'a cron expression of 5 or 6 fields (at most 200 characters)', expression);
  }
  const fields = expression.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new InvalidArgumentError('cron', `a cron expression of 5 or 6 fields (this one has ${fields})`, expression);
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone: tz, mode: '5-or-6-parts' });
  } catch (error) {
    throw new InvalidArgumentError('cron', `a valid cron expression (${(error as Error).message.replace(/^CronPattern: /, '')})`, expression);
  }
  if (cron.nextRun() === null) throw new InvalidArgumentError('cron', 'an expression that matches some time (this one never does)', expression);
  return cron;
}

/**
 * Up to `count` due times of `cron` after `after` (ms, exclusive) and at most `endAt`, ascending,
 * and whether those are all the times left before `endAt`.
 */
export function cronTimes(cron: Cron, after: number, count: number, endAt: number | null): { times: number[]; complete: boolean } {
  const runs = cron.nextRuns(count, new Date(after)).map((date) => date.getTime());
  const times = endAt === null ? runs : runs.filter((time) => time <= endAt);
  return { times, complete: times.length < count };
}

/** Checks a definition (nothing is written); `encode` turns the payload into its stored text. */
export function checkSchedule<T>(
  id: unknown, spec: ScheduleSpec<T>, encode: (payload: T) => string, defaultMaxAttempts: number,
): CheckedSchedule {
  const checkedId = checkScheduleId('id', id);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InvalidArgumentError('spec', 'an object', spec);
  for (const key of Object.keys(spec)) {
    if (!FIELDS.has(key)) throw new InvalidArgumentError(key, `absent (known: ${[...FIELDS].join(', ')})`);
  }
  if (!('payload' in spec)) throw new InvalidArgumentError('payload', 'given: the payload of every occurrence');
  const hasCron = spec.cron !== undefined;
  const hasEvery = spec.everyMs !== undefined;
  if (hasCron === hasEvery) {
    throw new InvalidArgumentError(hasCron ? 'everyMs' : 'cron', `given with exactly one of cron and everyMs (${hasCron ? 'both were' : 'neither was'} given)`);
  }
  if (!hasCron && spec.tz !== undefined) throw new InvalidArgumentError('tz', 'absent unless cron is given (an interval has no time zone)', spec.tz);
  const tz = hasCron ? checkTimeZone(spec.tz ?? 'UTC') : 'UTC';
  const cron = hasCron ? spec.cron as string : null;
  if (cron !== null) parseCron(cron, tz);
  const everyMs = hasEvery ? checkInteger('everyMs', spec.everyMs, SCHEDULE_MIN_EVERY_MS, MAX_EVERY_MS) : null;
  const startAt = spec.startAt === undefined ? null : checkTime('startAt', spec.startAt);
  const endAt = spec.endAt === undefined ? null : checkTime('endAt', spec.endAt);
  if (startAt !== null && endAt !== null && endAt <= startAt) throw new InvalidArgumentError('endAt', `later than startAt (${startAt})`, endAt);
  const limit = spec.limit === undefined ? null : checkInteger('limit', spec.limit, 1, MAX_LIMIT);
  const misfire = checkMisfire(spec.misfire);
  const overlap = spec.overlap ?? 'skip';
  if (overlap !== 'skip' && overlap !== 'allow') throw new InvalidArgumentError('overlap', "'skip' or 'allow'", overlap);
  const maxAttempts = checkInteger('maxAttempts', spec.maxAttempts ?? defaultMaxAttempts, 1, 1_000_000);
  const priority = checkInteger('priority', spec.priority ?? 0, -100, 100);
  const group = checkScopes('scopes', spec.scopes);
  const vars = checkVars('vars', spec.vars) ?? {};
  const hook = checkHookName('hook', spec.hook);
  let payload: string;
  try {
    payload = encode(spec.payload);
  } catch (error) {
    throw new InvalidArgumentError('payload', `a value the codec can encode (${(error as Error).message})`);
  }
  if (typeof payload !== 'string') throw new InvalidArgumentError('payload', 'a value the codec can encode', spec.payload);
  const sortedVars = Object.fromEntries(Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const stored: StoredDefinition = {
    payload, maxAttempts, priority, scopes: group === '' ? [] : group.split(' '), vars: sortedVars, hook: hook === '' ? null : hook,
    cron, tz: cron === null ? null : tz, everyMs, startAt, endAt, limit, misfire: misfire.policy, overlap,
  };
  return {
    id: checkedId, definition: JSON.stringify(stored), stem: scheduleStem(checkedId), payload, maxAttempts,
    vars: Object.keys(vars).length === 0 ? '' : JSON.stringify(sortedVars), hook, priority, group,
    cron, tz, everyMs, startAt, endAt, limit, misfireRuns: misfire.runs, overlap,
  };
}

/** HGETALL's flat reply as an object. */
export function hashOf(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) hash[flat[index] as string] = flat[index + 1] as string;
  return hash;
}

const numberOrNull = (text: string | undefined): number | null => (text === undefined || text === '' ? null : Number(text));

/** A schedule from its hash (null when it has none); `decode` turns the stored payload back. */
export function scheduleFromHash<T>(id: string, hash: Record<string, string>, decode: (text: string) => T): Schedule<T> | null {
  if (hash.def === undefined) return null;
  const stored = JSON.parse(hash.def) as StoredDefinition;
  let payload: T;
  try {
    payload = decode(stored.payload);
  } catch {
    payload = stored.payload as T;
  }
  const paused = hash.paused === '1';
  const ended = hash.ended === '1';
  return {
    id,
    payload,
    maxAttempts: stored.maxAttempts,
    priority: stored.priority,
    scopes: stored.scopes,
    vars: stored.vars,
    hook: stored.hook,
    cron: stored.cron,
    tz: stored.tz,
    everyMs: stored.everyMs,
    startAt: stored.startAt,
    endAt: stored.endAt,
    limit: stored.limit,
    misfire: stored.misfire,
    overlap: stored.overlap,
    paused,
    ended,
    nextAt: paused || ended ? null : numberOrNull(hash.next),
    lastDueAt: numberOrNull(hash.last),
    lastMessageId: hash.job ?? null,
    count: Number(hash.n ?? 0),
  };
}
