import type { CommitLog } from '@hotq/test-harness';
import type { Submitted } from './submit.js';

/** A job as GET /jobs shows it (the fields the checks read). */
export interface JobRecord {
  id: string;
  type: string;
  status: string;
  attempts: number;
  maxAttempts: number;
  /** When its last attempt's lease was taken (Redis's clock). */
  startedAt: string | null;
  finishedAt: string | null;
  error: { message: string; code?: string } | null;
  /** On an occurrence of a schedule. */
  schedule?: { id: string; dueAt: string };
}

/** GET /stats (the fields the checks read). */
export interface StatsBody {
  counts: Record<string, number>;
  queue: { ready: number; delayed: number; leased: number; dead: number };
  throughput: { totals: { put: number; acked: number; retried: number; dead: number; expired: number; released: number } };
}

/** Everything the run observed once every job had ended. */
export interface Observed {
  /** Every job the API lists, by id. */
  records: Map<string, JobRecord>;
  /** The result of every succeeded job. */
  results: Map<string, unknown>;
  stats: StatsBody;
  /** Terminal commits read from the append-only file. */
  commits: CommitLog;
  /**
   * The statuses of the terminal events received over pub/sub, per job, in order (pub/sub drops what
   * is sent while a subscriber reconnects).
   */
  events: Map<string, string[]>;
  /**
   * Whether the subscriber may receive one message more than once: ioredis's cluster subscriber can
   * deliver a message again after a node restarts (redis/ioredis#803). Then a job's terminal event
   * repeated with the same status is the observer's, not the job's (the commit log stays strict).
   */
  eventsMayRepeat?: boolean;
  /** Handler starts per job, from the handlers' run log. */
  runs: Map<string, number>;
  /** How long the run's schedule (one occurrence a second) lived, in ms; absent when it had none. */
  scheduleLifeMs?: number;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The end-of-run checks: every submission is in exactly one terminal state and nothing else exists;
 * submitted = succeeded + failed + cancelled; nothing is queued, delayed, running or leased; each job's
 * completion was committed exactly once (the append-only file) and its result written once; the
 * committed result is the last attempt's; attempts stay within limits and retried jobs show them;
 * a cancellation answered 200 ended the job cancelled. Returns the misses and the lines to print.
 */
export function check(jobs: Submitted[], seen: Observed): { misses: string[]; report: string[] } {
  const misses: string[] = [];
  const report: string[] = [];
  const miss = (text: string) => misses.push(text);
  const submittedIds = new Set(jobs.map((job) => job.id));
  const byStatus: Record<string, number> = { succeeded: 0, failed: 0, cancelled: 0 };
  const byKind = new Map<string, Record<string, number>>();
  let deleted = 0;

  if (submittedIds.size !== jobs.length) miss(`${jobs.length - submittedIds.size} submission(s) were answered with the id of another submission`);
  const occurrences = [...seen.records.values()].filter((record) => record.schedule !== undefined);
  for (const [id, record] of seen.records) {
    if (!submittedIds.has(id) && !record.schedule) miss(`job ${id} exists but was never accepted (a submission applied although it was refused?)`);
  }

  for (const job of jobs) {
    const record = seen.records.get(job.id);
    if (!record && job.cancel?.deleted) {
      // Its DELETE found it over (ended by itself, or cancelled by an earlier DELETE whose answer was
      // lost) and deleted it: it must still have ended exactly once before.
      deleted += 1;
      const commits = seen.commits.finished.get(job.id) ?? [];
      if (commits.length !== 1) miss(`deleted job ${job.id} (${job.kind}) has ${commits.length} terminal commits in the append-only file: ${commits.join(', ')}`);
      continue;
    }
    if (!record) {
      miss(`job ${job.id} (${job.kind}) was accepted but does not exist`);
      continue;
    }
    const kindCounts = byKind.get(job.kind) ?? {};
    kindCounts[record.status] = (kindCounts[record.status] ?? 0) + 1;
    byKind.set(job.kind, kindCounts);
    if (!TERMINAL.has(record.status)) {
      miss(`job ${job.id} (${job.kind}) did not end: ${record.status} after ${record.attempts} attempt(s)`);
      continue;
    }
    byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;

    // Completion committed once: exactly one terminal transition in the durable log, the final one.
    const commits = seen.commits.finished.get(job.id) ?? [];
    if (commits.length !== 1) miss(`job ${job.id} (${job.kind}) has ${commits.length} terminal commits in the append-only file: ${commits.join(', ')}`);
    else if (commits[0] !== record.status) miss(`job ${job.id} was committed ${commits[0]} but reads ${record.status}`);
    const resultWrites = seen.commits.results.get(job.id) ?? 0;
    if (resultWrites !== (record.status === 'succeeded' ? 1 : 0)) miss(`job ${job.id} (${record.status}) had its result written ${resultWrites} times`);
    const events = seen.events.get(job.id) ?? [];
    const statuses = new Set(events);
    if (statuses.size > 1) miss(`job ${job.id} published terminal events of different statuses: ${events.join(', ')}`);
    else if (events.length > 1 && !seen.eventsMayRepeat) miss(`job ${job.id} published ${events.length} terminal events`);

    // Attempts: within the limit; retried jobs show what they used; the committed result is the last attempt's.
    if (record.attempts < 0 || record.attempts > job.maxAttempts) miss(`job ${job.id} shows ${record.attempts} attempts of ${job.maxAttempts}`);
    if (record.status === 'failed' && record.error?.code === 'dependency_failed') {
      if (record.attempts !== 0) miss(`job ${job.id} (${job.kind}) failed because of a dependency after ${record.attempts} attempt(s)`);
    } else if (record.status === 'failed') {
      if (record.attempts !== job.maxAttempts) miss(`job ${job.id} (${job.kind}) failed after ${record.attempts} of ${job.maxAttempts} attempts`);
      if (!record.error?.message) miss(`failed job ${job.id} has no error`);
    }
    if (job.kind === 'doomed' && record.status !== 'failed') miss(`doomed job ${job.id} ended ${record.status}`);
    if (record.status === 'succeeded') {
      if (record.error !== null) miss(`succeeded job ${job.id} still shows an error`);
      const result = seen.results.get(job.id) as { attempt?: number } | undefined;
      if (result?.attempt !== record.attempts) miss(`job ${job.id} (${job.kind}) committed the result of attempt ${result?.attempt} but shows ${record.attempts} attempts`);
      if (job.kind === 'flaky' && record.attempts < 2) miss(`flaky job ${job.id} succeeded in ${record.attempts} attempt(s)`);
    }
    if (job.cancel?.status === 200 && record.status !== 'cancelled') miss(`job ${job.id} was cancelled (200) but ended ${record.status}`);
  }
  const occurrenceIds = new Set(occurrences.map((record) => record.id));
  for (const id of seen.commits.finished.keys()) {
    if (!submittedIds.has(id) && !occurrenceIds.has(id)) miss(`the append-only file has a terminal commit for ${id}, which was never accepted`);
  }
  checkChains(jobs, seen, miss, report);
  const occurrenceStatus = checkOccurrences(occurrences, seen, miss, report);

  const ended = byStatus.succeeded! + byStatus.failed! + byStatus.cancelled! + deleted;
  report.push(`submitted ${jobs.length} = succeeded ${byStatus.succeeded} + failed ${byStatus.failed} + cancelled ${byStatus.cancelled} + deleted once over ${deleted} (${ended})`);
  if (ended !== jobs.length) miss(`submitted ${jobs.length} but ${ended} ended`);
  report.push(`by kind: ${[...byKind].map(([kind, counts]) => `${kind} ${JSON.stringify(counts)}`).join('; ')}`);

  // Nothing left anywhere, and the queue's running totals agree with the records.
  const { counts, queue, throughput } = seen.stats;
  const totals = throughput.totals;
  for (const status of ['waiting', 'queued', 'delayed', 'running']) if (counts[status] !== 0) miss(`stats: ${counts[status]} job(s) still ${status}`);
  if (queue.ready !== 0 || queue.delayed !== 0 || queue.leased !== 0) miss(`stats: queue not empty: ${JSON.stringify(queue)}`);
  const failed = byStatus.failed! + occurrenceStatus.failed;
  const succeeded = byStatus.succeeded! + occurrenceStatus.succeeded;
  if (queue.dead !== failed) miss(`stats: ${queue.dead} dead-lettered messages but ${failed} failed jobs`);
  if (totals.put !== jobs.length + occurrences.length) miss(`stats: the queue counted ${totals.put} puts for ${jobs.length} submissions and ${occurrences.length} occurrences`);
  if (totals.dead !== failed) miss(`stats: the queue counted ${totals.dead} dead-letterings for ${failed} failed jobs`);
  // A job that a DELETE found over and deleted was acked at most once too, before it went.
  if (totals.acked < succeeded || totals.acked > succeeded + byStatus.cancelled! + deleted) {
    miss(`stats: the queue counted ${totals.acked} acks for ${succeeded} succeeded, ${byStatus.cancelled} cancelled and ${deleted} deleted jobs`);
  }
  report.push(`queue totals: ${JSON.stringify(totals)}`);

  const commitCounts = [...submittedIds].map((id) => seen.commits.finished.get(id)?.length ?? 0);
  report.push(
    `append-only file: ${seen.commits.commands} commands in ${seen.commits.files.length} file(s)${seen.commits.truncated ? ' (the last command was cut short by a kill)' : ''}; ` +
      `terminal commits per job: ${histogram(commitCounts)}`,
  );
  const eventCounts = [...submittedIds].map((id) => seen.events.get(id)?.length ?? 0);
  report.push(`pub/sub terminal events per job: ${histogram(eventCounts)} (pub/sub drops what is published while the subscriber reconnects`
    + `${seen.eventsMayRepeat ? '; on a cluster the subscriber may receive one again after a node restarts' : ''})`);
  const runCounts = [...submittedIds].map((id) => seen.runs.get(id) ?? 0);
  report.push(`handler starts per job: ${histogram(runCounts)}`);
  // Flaky and doomed jobs run twice by design; any start beyond what a job's kind needs is a re-run
  // caused by a fault (its worker died or lost its lease mid-job): at-least-once execution.
  const designed: Record<string, number> = { flaky: 2, doomed: 2 };
  const extra = jobs.map((job) => Math.max(0, (seen.runs.get(job.id) ?? 0) - (designed[job.kind] ?? 1)));
  report.push(`handler re-runs caused by faults: ${extra.filter((n) => n > 0).length} job(s) (${histogram(extra)}); each still committed once`);
  const cancels = jobs.filter((job) => job.cancel);
  report.push(`cancellations: ${histogram(cancels.map((job) => job.cancel!.status))} by answer; ${cancels.filter((job) => seen.records.get(job.id)?.status === 'cancelled').length} of ${cancels.length} ended cancelled`);
  return { misses, report };
}

/**
 * Dependency chains: a link started only after the job it waits on had finished, when that one
 * succeeded; when it failed, the link failed with dependency_failed without running.
 */
function checkChains(jobs: Submitted[], seen: Observed, miss: (text: string) => void, report: string[]): void {
  let inOrder = 0;
  let failedByDependency = 0;
  const links = jobs.filter((job) => job.after !== undefined);
  for (const job of links) {
    const record = seen.records.get(job.id);
    const before = seen.records.get(job.after!);
    if (!record || !before) continue;
    if (before.status === 'succeeded') {
      if (!record.startedAt || Date.parse(record.startedAt) < Date.parse(before.finishedAt ?? '')) {
        miss(`job ${job.id} started at ${record.startedAt} before ${job.after}, which it waits on, finished at ${before.finishedAt}`);
      } else inOrder += 1;
    } else if (record.status !== 'failed' || record.error?.code !== 'dependency_failed' || (seen.runs.get(job.id) ?? 0) > 0) {
      miss(`job ${job.id} waited on ${job.after}, which ended ${before.status}, but it ended ${record.status} (${record.error?.code ?? 'no code'}) after ${seen.runs.get(job.id) ?? 0} run(s)`);
    } else failedByDependency += 1;
  }
  if (links.length > 0) report.push(`dependency chains: ${links.length} links; ${inOrder} started after the job they waited on had finished, ${failedByDependency} failed with dependency_failed without running`);
}

/**
 * The schedule's occurrences: each ended once, no two for the same due time, about one a second
 * while the schedule lived (at least half of them: a Redis outage may skip some, the misfire policy
 * makes one for the whole gap). Returns how they ended.
 */
function checkOccurrences(occurrences: JobRecord[], seen: Observed, miss: (text: string) => void, report: string[]): { succeeded: number; failed: number } {
  const ended = { succeeded: 0, failed: 0 };
  if (seen.scheduleLifeMs === undefined) return ended;
  const dueTimes = new Set<string>();
  for (const record of occurrences) {
    if (dueTimes.has(record.schedule!.dueAt)) miss(`two occurrences of schedule ${record.schedule!.id} are due at ${record.schedule!.dueAt}`);
    dueTimes.add(record.schedule!.dueAt);
    if (!TERMINAL.has(record.status)) miss(`occurrence ${record.id} did not end: ${record.status}`);
    if (record.status === 'succeeded') ended.succeeded += 1;
    if (record.status === 'failed') ended.failed += 1;
    const commits = seen.commits.finished.get(record.id) ?? [];
    if (commits.length !== 1) miss(`occurrence ${record.id} has ${commits.length} terminal commits in the append-only file`);
  }
  const seconds = seen.scheduleLifeMs / 1_000;
  if (occurrences.length > Math.ceil(seconds) + 1 || occurrences.length < Math.floor(seconds / 2)) {
    miss(`the schedule lived ${seconds.toFixed(1)} s at one occurrence a second but made ${occurrences.length}`);
  }
  report.push(`schedule: ${occurrences.length} occurrences in ${seconds.toFixed(1)} s, no due time twice; ${JSON.stringify(ended)}`);
  return ended;
}

function histogram(values: number[]): string {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a - b).map(([value, count]) => `${value}: ${count}`).join(', ');
}
