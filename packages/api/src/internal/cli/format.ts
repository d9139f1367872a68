// How `hotq` shows things: tables and a progress bar on a terminal, plain lines in a pipe.

/** The fields of a job the command shows (the API's job object). */
export interface JobView {
  id: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  priority?: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: number | Record<string, unknown> | null;
  error: { message: string; code?: string } | null;
  worker: string | null;
  params: Record<string, unknown>;
  tags?: string[];
  dependsOn?: string[];
  onDependencyFailure?: 'fail' | 'run';
}

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')).join('\n') + '\n';
}

/** Tab-separated lines, for `cut` and `awk`. */
export function plainRows(rows: string[][]): string {
  return rows.map((row) => row.join('\t')).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** "3s ago", "5m ago", "2h ago", "4d ago". */
export function age(iso: string | null, now = Date.now()): string {
  if (iso === null) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

/** "in 5s", "in 3m", "in 2h", "in 4d"; a time already past: "due 3s ago". */
export function until(iso: string | null, now = Date.now()): string {
  if (iso === null) return '-';
  const ms = Date.parse(iso) - now;
  if (ms < 0) return `due ${age(iso, now)}`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `in ${seconds}s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `in ${Math.floor(seconds / 3600)}h`;
  return `in ${Math.floor(seconds / 86_400)}d`;
}

/** "850 ms", "1.2 s", "3m 05s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** A progress value in words: "45%", or the handler's object as compact JSON. */
export function progressText(progress: JobView['progress']): string {
  if (progress === null || progress === undefined) return '';
  if (typeof progress === 'number') return `${Math.round(progress)}%`;
  return JSON.stringify(progress);
}

/** `[#########-----------]  45%`: a bar for a percentage; other progress values as text. */
export function progressBar(progress: JobView['progress'], width = 30): string {
  if (typeof progress !== 'number') return progressText(progress);
  const filled = Math.round((Math.min(100, Math.max(0, progress)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${progressText(progress).padStart(4)}`;
}

/** The lines of `hotq get`: one field per line, name then value. */
export function jobLines(job: JobView): string[][] {
  const rows: string[][] = [
    ['id', job.id],
    ['type', job.type],
    ['status', job.status],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
  ];
  if (job.priority !== undefined && job.priority !== 0) rows.push(['priority', String(job.priority)]);
  if (job.progress !== null) rows.push(['progress', progressText(job.progress)]);
  if (job.tags && job.tags.length > 0) rows.push(['tags', job.tags.join(' ')]);
  if (job.dependsOn) rows.push(['depends on', `${job.dependsOn.join(' ')}${job.onDependencyFailure === 'run' ? ' (runs even if one fails)' : ''}`]);
  rows.push(['created', job.createdAt]);
  if (job.startedAt) rows.push(['started', job.startedAt]);
  if (job.finishedAt) rows.push(['finished', job.finishedAt]);
  if (job.startedAt && job.finishedAt) rows.push(['took', duration(Date.parse(job.finishedAt) - Date.parse(job.startedAt))]);
  if (job.worker) rows.push(['worker', job.worker]);
  rows.push(['params', JSON.stringify(job.params)]);
  if (job.error) rows.push(['error', job.error.code ? `${job.error.message} (${job.error.code})` : job.error.message]);
  return rows;
}

/** One line about a finished job: "succeeded in 1.2 s", "failed: boom (code)". */
export function outcome(job: JobView): string {
  const took = job.startedAt && job.finishedAt ? ` in ${duration(Date.parse(job.finishedAt) - Date.parse(job.startedAt))}` : '';
  if (job.status === 'succeeded') return `${job.id} succeeded${took}`;
  const why = job.error ? `: ${job.error.message}${job.error.code ? ` (${job.error.code})` : ''}` : '';
  return `${job.id} ${job.status}${took}${why}`;
}
