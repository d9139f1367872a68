// Schedules of jobs (docs/decisions/0019): a schedule's job template checked as a submission is, its
// times handed to queue-core's TaskQueue.setSchedule (which checks them), and a stored schedule
// shown as the API shows it.
import type { Schedule, ScheduleSpec } from '@hotq/queue-core';
import { JobInputError } from './errors.js';
import type { JobMessage } from './job-types.js';
import type { JobSchedule, ScheduleInput } from './schedule-types.js';
import { jobScopes } from './_submission.js';
import { toJsonText } from './_json.js';
import { checkInteger, checkKnownFields, checkType, describe, isPlainObject } from './_validate.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const FIELDS = ['job', 'cron', 'tz', 'everyMs', 'startAt', 'endAt', 'limit', 'misfire', 'overlap'] as const;
const JOB_FIELDS = ['type', 'params', 'maxAttempts', 'timeoutMs', 'priority'];
/** ISO-8601 with a date and a time, and a zone (`Z` or an offset): a moment, not a wall-clock time. */
const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function checkMoment(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && ISO_MOMENT.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0) {
    throw new JobInputError(field, `must be an ISO-8601 time with a zone, e.g. 2026-01-31T09:00:00Z (received ${describe(value)})`);
  }
  return ms;
}

/** Checks a schedule's job and its times' types (nothing is written); TaskQueue.setSchedule checks the rest. */
export function prepareSchedule(input: unknown, maxParamsBytes: number): ScheduleSpec<JobMessage> {
  if (!isPlainObject(input)) throw new JobInputError('body', `must be a JSON object (received ${describe(input)})`);
  checkKnownFields(input, FIELDS);
  const { job, cron, tz, everyMs, startAt, endAt, limit, misfire, overlap } = input as Partial<ScheduleInput>;
  if (!isPlainObject(job)) throw new JobInputError('job', `must be a JSON object: the job each occurrence submits (received ${describe(job)})`);
  checkKnownFields(job, JOB_FIELDS, 'job.');
  const { type, params = {}, maxAttempts = 3, timeoutMs, priority = 0 } = job as ScheduleInput['job'];
  checkType('job.type', type);
  if (!isPlainObject(params)) throw new JobInputError('job.params', `must be a JSON object (received ${describe(params)})`);
  const paramsText = toJsonText('job.params', params, maxParamsBytes, 'maxParamsBytes');
  checkInteger('job.maxAttempts', maxAttempts, 1, 100);
  checkInteger('job.priority', priority, -100, 100);
  if (timeoutMs !== undefined && timeoutMs !== null) checkInteger('job.timeoutMs', timeoutMs, 1, DAY_MS, ' (24 hours)');
  const start = checkMoment('startAt', startAt);
  const end = checkMoment('endAt', endAt);
  const vars: Record<string, string> = { type };
  if (typeof timeoutMs === 'number') vars.timeoutMs = String(timeoutMs);
  return {
    payload: { type, params: JSON.parse(paramsText) as Record<string, unknown>, timeoutMs: timeoutMs ?? null },
    maxAttempts, priority, vars, scopes: jobScopes(type),
    ...(cron === undefined ? {} : { cron }),
    ...(tz === undefined ? {} : { tz }),
    ...(everyMs === undefined ? {} : { everyMs }),
    ...(start === undefined ? {} : { startAt: start }),
    ...(end === undefined ? {} : { endAt: end }),
    ...(limit === undefined ? {} : { limit }),
    ...(misfire === undefined ? {} : { misfire }),
    ...(overlap === undefined ? {} : { overlap }),
  };
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A stored schedule of jobs as the API shows it. */
export function toJobSchedule(schedule: Schedule<JobMessage>): JobSchedule {
  const payload = isPlainObject(schedule.payload) ? schedule.payload : { type: '', params: {}, timeoutMs: null };
  return {
    id: schedule.id,
    job: {
      type: payload.type, params: isPlainObject(payload.params) ? payload.params : {}, maxAttempts: schedule.maxAttempts,
      timeoutMs: typeof payload.timeoutMs === 'number' ? payload.timeoutMs : null, priority: schedule.priority,
    },
    cron: schedule.cron,
    tz: schedule.tz,
    everyMs: schedule.everyMs,
    startAt: isoOrNull(schedule.startAt),
    endAt: isoOrNull(schedule.endAt),
    limit: schedule.limit,
    misfire: schedule.misfire,
    overlap: schedule.overlap,
    paused: schedule.paused,
    ended: schedule.ended,
    nextAt: isoOrNull(schedule.nextAt),
    lastDueAt: isoOrNull(schedule.lastDueAt),
    lastJobId: schedule.lastMessageId,
    count: schedule.count,
  };
}
