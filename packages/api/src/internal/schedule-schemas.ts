// The zod schemas of the /schedules routes (docs/decisions/0019): they validate requests and
// describe requests and answers in the OpenAPI document, as schemas.ts does for the jobs routes.
import * as z from 'zod';
import 'zod-openapi';
import { SCHEDULE_MIN_EVERY_MS } from '@hotq/queue-core';
import { integer, JobType, JobId, JsonObject, OBJECT_ERRORS, queryInteger, Timestamp } from './schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const ScheduleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { error: 'must be 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  .meta({ id: 'ScheduleId', description: 'A schedule id, chosen by the client.', example: 'nightly-report' });

export const ScheduleParams = z.strictObject({ id: ScheduleId });

const Moment = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 time with a zone, e.g. 2026-01-31T09:00:00Z' })
  .meta({ description: 'ISO-8601 time with a zone.' });

const Misfire = z
  .union([
    z.enum(['skip', 'one']),
    z.strictObject({ max: integer(1, 100, 'Make up to this many of the missed occurrences (the latest).') }),
  ], { error: "must be 'skip', 'one' or { max: n } (n from 1 to 100)" })
  .meta({
    id: 'MisfirePolicy',
    description: 'Occurrences missed while no worker took work (workers or Redis down, queue paused): skip makes none of them, one makes the latest, { max: n } the latest n. '
      + 'An occurrence is missed when made more than a minute after its due time, or more than half the time to the next one when that is shorter.',
  });

const Overlap = z
  .enum(['skip', 'allow'], { error: "must be 'skip' or 'allow'" })
  .meta({ id: 'OverlapPolicy', description: 'skip: no occurrence while the previous one has not ended (queued, running or waiting to retry); allow: make it anyway.' });

const ScheduledJob = z
  .strictObject({
    type: JobType,
    params: JsonObject.optional().meta({ description: 'Handler input: a JSON object. Default {}.' }),
    maxAttempts: integer(1, 100, 'Attempts of each occurrence before it fails for good. Default 3.').optional(),
    timeoutMs: integer(1, DAY_MS, 'Abort an attempt after this many ms. Absent or null: no time limit.').nullable().optional(),
    priority: integer(-100, 100, 'Higher runs first. Default 0.').optional(),
  }, OBJECT_ERRORS)
  .meta({ id: 'ScheduledJob', description: 'The job each occurrence submits: as POST /jobs takes it, without delayMs and idempotencyKey.' });

export const ScheduleBody = z
  .strictObject({
    job: ScheduledJob,
    cron: z.string({ error: 'must be a string' }).max(200, { error: 'must be at most 200 characters' }).optional()
      .meta({ description: 'A cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first). Exactly one of cron and everyMs.', example: '0 3 * * *' }),
    tz: z.string({ error: 'must be a string' }).max(64, { error: 'must be at most 64 characters' }).optional()
      .meta({ description: 'The IANA time zone of cron. Default UTC. Only with cron.', example: 'Europe/Berlin' }),
    everyMs: integer(SCHEDULE_MIN_EVERY_MS, 366 * DAY_MS, `A fixed interval in ms, at least ${SCHEDULE_MIN_EVERY_MS}. Exactly one of cron and everyMs.`).optional(),
    startAt: Moment.optional().meta({ description: 'No occurrence before this. An interval\'s occurrences are due at startAt + k * everyMs; without it, the first is one interval after the schedule is created or changed.' }),
    endAt: Moment.optional().meta({ description: 'No occurrence after this; later than startAt.' }),
    limit: integer(1, 1_000_000_000, 'At most this many occurrences in all (run now not counted).').optional(),
    misfire: Misfire.optional(),
    overlap: Overlap.optional(),
  }, OBJECT_ERRORS)
  .meta({ id: 'ScheduleInput', description: 'A repeating job: every everyMs ms, or at the times of cron in tz.' });

export const Schedule = z
  .object({
    id: ScheduleId,
    job: z.object({
      type: JobType, params: JsonObject, maxAttempts: z.int(), timeoutMs: z.int().nullable(), priority: z.int(),
    }),
    cron: z.string().nullable(),
    tz: z.string().nullable(),
    everyMs: z.int().nullable(),
    startAt: Timestamp.nullable(),
    endAt: Timestamp.nullable(),
    limit: z.int().nullable(),
    misfire: Misfire,
    overlap: Overlap,
    paused: z.boolean(),
    ended: z.boolean().meta({ description: 'Past its endAt or its limit: it makes no more occurrences.' }),
    nextAt: Timestamp.nullable().meta({ description: 'When the next occurrence is due; null when paused or ended.' }),
    lastDueAt: Timestamp.nullable().meta({ description: 'The due time of the last occurrence made or skipped by a policy.' }),
    lastJobId: JobId.nullable().meta({ description: 'The last job it made (a run now included).' }),
    count: z.int().meta({ description: 'Occurrences made at their times so far.' }),
  })
  .meta({ id: 'Schedule', description: 'A schedule and where it stands.' });

export const ScheduleList = z
  .object({
    schedules: z.array(Schedule).meta({ description: 'A page of schedules, by id.' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last.' }),
  })
  .meta({ id: 'ScheduleList' });

export const ScheduleListQuery = z.strictObject(
  {
    limit: queryInteger(1, 1000, 100, 'Schedules per page, 1 to 1000. Default 100.').optional(),
    cursor: ScheduleId.optional().meta({ description: 'The nextCursor of the previous page.' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown query parameter(s): ${issue.keys.join(', ')}` : undefined) },
);

export const ScheduleDeleted = z
  .object({ id: ScheduleId, deleted: z.literal(true) })
  .meta({ id: 'ScheduleDeleted', description: 'The schedule is gone; the jobs it made stay.' });
