// Keeping a page of the jobs table current from the pushed changes (GET /events), without reading it again.
import type { Changes } from './feed.js';
import type { Job } from './types.js';

/** A row: the job as GET /jobs answers it, or as a change brings it (without params). */
export type Row = Omit<Job, 'params'>;

export interface Page {
  jobs: Row[];
  nextCursor: string | null;
}

export interface ListFilter {
  status: string;
  type: string;
}

/** Rows a first page may grow to from pushes before it is read again (and cut to its size). */
export const MAX_LIVE_ROWS = 100;

const matches = (job: Row, filter: ListFilter): boolean => (!filter.status || job.status === filter.status) && (!filter.type || job.type === filter.type);

/**
 * The page after a batch of changes, and whether it should be read again (`stale`): a change that
 * may belong on it came without the job (a busy moment), or changes were dropped, or it grew long.
 * Jobs keep their place; one that leaves the filter leaves the page. Only the first page gains rows:
 * a new job is newer than everything shown, and a later page starts below its cursor. A full first
 * page keeps its cursor, so the rows it grew by are not skipped by "older" either.
 */
export function applyChanges(page: Page, changes: Changes, filter: ListFilter, firstPage: boolean): { page: Page; stale: boolean } {
  const rows = [...page.jobs];
  let stale = firstPage && changes.dropped > 0;
  const last = rows.at(-1)?.id;
  // Whether a job not shown belongs on this page: the first one, below nothing already shown when it is full.
  const belongs = (id: string): boolean => firstPage && (page.nextCursor === null || last === undefined || id > last);
  for (const job of changes.jobs) {
    const at = rows.findIndex((row) => row.id === job.id);
    if (at >= 0) {
      if (matches(job, filter)) rows[at] = { ...rows[at], ...job };
      else rows.splice(at, 1);
    } else if (matches(job, filter) && belongs(job.id)) {
      const before = rows.findIndex((row) => row.id < job.id);
      rows.splice(before < 0 ? rows.length : before, 0, job);
    }
  }
  for (const change of changes.more) {
    const at = rows.findIndex((row) => row.id === change.id);
    const row = rows[at];
    if (row) {
      if (filter.status && change.status !== filter.status) rows.splice(at, 1);
      else rows[at] = { ...row, status: change.status };
    } else if ((!filter.status || filter.status === change.status) && belongs(change.id)) {
      stale = true;
    }
  }
  if (rows.length > MAX_LIVE_ROWS) stale = true;
  return { page: { jobs: rows, nextCursor: page.nextCursor }, stale };
}
