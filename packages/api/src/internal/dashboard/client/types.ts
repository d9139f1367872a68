import type { JobSchedule } from '@hotq/jobs-store';

/** A job as the API answers it. */
export interface Job {
  id: string;
  type: string;
  status: string;
  params: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  priority?: number;
  timeoutMs: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: number | Record<string, unknown> | null;
  error: { message: string; code?: string } | null;
  worker: string | null;
  dependsOn?: string[];
  onDependencyFailure?: 'fail' | 'run';
}

/** A limit in force, as GET /stats and GET /limits show it. */
export interface LimitInfo {
  scope: string;
  rate: { count: number; perMs: number } | null;
  concurrency: number | null;
  running: number;
  recentStarts: number;
}

export interface Stats {
  counts: Record<string, number>;
  queue: Record<string, number>;
  workers: number;
  limits?: LimitInfo[];
  paused?: boolean;
  /** Partitions of the queue; with ?partitions=true, each one's counts and depths. */
  partitionCount?: number;
  partitions?: Array<{ partition: number; keyBase: string; counts: Record<string, number>; queue: Record<string, number> }>;
  throughput: {
    windowSeconds: number;
    submittedPerMinute: number;
    completedPerMinute: number;
    deadPerMinute: number;
    /** The last hour per minute, oldest first, the current minute last. */
    history: Array<{ at: string; submitted: number; completed: number; failed: number }>;
  };
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  running: string[];
  lastBeatAt: string;
}

/** A schedule as the API answers it (GET /schedules): jobs-store's JobSchedule. */
export type Schedule = JobSchedule;

// The statuses themselves come from the API (the keys of GET /stats's counts, in lifecycle order: see
// checkAccess), so the page follows the API's list. These three end a job, whatever else is added.
export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Nothing on the page re-reads faster than this (the ceiling for polling). */
export const REFRESH_MS = 10_000;

/** "in 5s", "in 3m", "in 2h"; a time already past: "due". */
export function until(iso: string | null, now = Date.now()): string {
  if (!iso) return '–';
  const s = Math.round((Date.parse(iso) - now) / 1000);
  if (s <= 0) return 'due';
  if (s < 60) return `in ${s}s`;
  if (s < 3600) return `in ${Math.floor(s / 60)}m`;
  if (s < 86400) return `in ${Math.floor(s / 3600)}h`;
  return `in ${Math.floor(s / 86400)}d`;
}

export function ago(iso: string | null): string {
  if (!iso) return '–';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}
