import type { MisfirePolicy, OverlapPolicy } from '@hotq/queue-core';

/**
 * The job every occurrence of a schedule submits: a submission without `delayMs` (the schedule says
 * when) and without `idempotencyKey` (each occurrence's id is derived from the schedule and its due
 * time, which is what makes it unique).
 * @public
 */
export interface ScheduledJobInput {
  /** The job type: `[a-z0-9][a-z0-9_.-]{0,63}`. */
  type: string;
  /** A JSON object (default `{}`). */
  params?: Record<string, unknown>;
  /** Starts allowed: an integer from 1 to 100. Default 3. */
  maxAttempts?: number;
  /** Per-attempt time limit: an integer from 1 ms to 24 h. Absent (or null): none. */
  timeoutMs?: number | null;
  /** An integer from -100 to 100, higher runs first; default 0. */
  priority?: number;
}

/**
 * A schedule, as a client sends it (`PUT /schedules/:id`). Exactly one of `cron` and `everyMs`.
 * Unknown fields are refused.
 * @public
 */
export interface ScheduleInput {
  /** The job each occurrence submits. */
  job: ScheduledJobInput;
  /** A cron expression of 5 fields, or 6 with seconds first, read in `tz`. */
  cron?: string;
  /** The IANA time zone of `cron`. Default `UTC`. */
  tz?: string;
  /** A fixed interval in ms, at least 1000. */
  everyMs?: number;
  /** No occurrence before this time (ISO-8601); an interval's slots are `startAt + k * everyMs`. */
  startAt?: string;
  /** No occurrence after this time (ISO-8601). */
  endAt?: string;
  /** At most this many occurrences in all. */
  limit?: number;
  /** Occurrences missed while nothing took work: `skip`, `one` (default) or `{ max: n }`. */
  misfire?: MisfirePolicy;
  /** Occurrences while the previous one has not ended: `skip` (default) or `allow`. */
  overlap?: OverlapPolicy;
}

/**
 * A schedule as the API shows it, with where it stands. Times are ISO-8601 (Redis server time).
 * @public
 */
export interface JobSchedule {
  /** The schedule id. */
  id: string;
  /** The job each occurrence submits. */
  job: { type: string; params: Record<string, unknown>; maxAttempts: number; timeoutMs: number | null; priority: number };
  /** The cron expression, or null. */
  cron: string | null;
  /** The time zone of the cron expression, or null. */
  tz: string | null;
  /** The interval in ms, or null. */
  everyMs: number | null;
  /** No occurrence before this, or null. */
  startAt: string | null;
  /** No occurrence after this, or null. */
  endAt: string | null;
  /** Most occurrences in all, or null. */
  limit: number | null;
  /** The misfire policy. */
  misfire: MisfirePolicy;
  /** The overlap policy. */
  overlap: OverlapPolicy;
  /** No occurrence until resumed. */
  paused: boolean;
  /** Past its end or its limit. */
  ended: boolean;
  /** When the next occurrence is due; null when paused or ended. */
  nextAt: string | null;
  /** The due time of the last occurrence made or skipped, or null. */
  lastDueAt: string | null;
  /** The id of the last job it made, or null. */
  lastJobId: string | null;
  /** Occurrences made at their times so far. */
  count: number;
}
