// The job commands: submit, get, result, ls, cancel, retry (one job or all failed), delete.
import { CliError, EXIT, usage } from './client.js';
import type { Context } from './context.js';
import { follow, jobExit } from './follow.js';
import { age, jobLines, outcome, plainRows, table, type JobView } from './format.js';
import { readParams } from './params.js';

const path = (id: string, rest = ''): string => `/jobs/${encodeURIComponent(id)}${rest}`;

export interface SubmitOptions {
  params?: string;
  wait?: boolean;
  delay?: number;
  maxAttempts?: number;
  timeout?: number;
  key?: string;
  priority?: number;
  tag?: string[];
  partitionKey?: string;
  dependsOn?: string[];
  onDependencyFailure?: 'fail' | 'run';
}

/** `hotq submit TYPE`: prints the id (pipe) or a sentence (terminal); with --wait follows it and prints its result. */
export async function submit(ctx: Context, type: string, options: SubmitOptions): Promise<number> {
  const params = await readParams(options.params);
  const body = {
    type,
    ...(params === undefined ? {} : { params }),
    ...(options.delay === undefined ? {} : { delayMs: options.delay }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
    ...(options.key === undefined ? {} : { idempotencyKey: options.key }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
    ...(options.tag === undefined ? {} : { tags: options.tag }),
    ...(options.partitionKey === undefined ? {} : { partitionKey: options.partitionKey }),
    ...(options.dependsOn === undefined ? {} : { dependsOn: options.dependsOn }),
    ...(options.onDependencyFailure === undefined ? {} : { onDependencyFailure: options.onDependencyFailure }),
  };
  const reply = await ctx.client.request('POST', '/jobs', { body });
  const job = reply.body as JobView;
  if (!options.wait) {
    if (ctx.json) ctx.printJson(job);
    else if (ctx.tty) ctx.out(`${reply.status === 200 ? 'already submitted' : 'submitted'} ${job.id} (${job.type}, ${job.status}); follow it with: hotq watch ${job.id}\n`);
    else ctx.out(`${job.id}\n`);
    return EXIT.ok;
  }
  if (ctx.tty && !ctx.json) ctx.out(`submitted ${job.id} (${job.type})\n`);
  return await waitAndReport(ctx, job);
}

/**
 * Follows a job just made (`submit --wait`, `schedules run --wait`) to its end and prints its outcome
 * and result; answers the exit code (0 only when it succeeded).
 */
export async function waitAndReport(ctx: Context, job: JobView): Promise<number> {
  const final = await follow(ctx, job.id, ctx.json || !ctx.tty ? 'quiet' : 'bar');
  const result = final.status === 'succeeded' ? await readResult(ctx, final.id) : undefined;
  if (ctx.json) {
    ctx.printJson({ job: final, ...(result === undefined ? {} : { result: result.json ?? { contentType: result.contentType, base64: result.bytes.toString('base64') } }) });
  } else {
    if (ctx.tty || final.status !== 'succeeded') (final.status === 'succeeded' ? ctx.out : ctx.err)(`${outcome(final)}\n`);
    if (result) printResult(ctx, result);
  }
  return jobExit(final);
}

interface Result {
  json: unknown;
  contentType: string;
  bytes: Buffer;
}

async function readResult(ctx: Context, id: string): Promise<Result> {
  const reply = await ctx.client.request('GET', path(id, '/result'), { subject: { job: id } });
  return { json: reply.body, contentType: reply.contentType, bytes: reply.bytes };
}

function printResult(ctx: Context, result: Result): void {
  if (result.json === undefined) {
    // Bytes, as the handler made them.
    process.stdout.write(result.bytes);
    return;
  }
  ctx.printJson(result.json);
}

/** `hotq get ID`. */
export async function get(ctx: Context, id: string): Promise<number> {
  const job = await ctx.client.json<JobView>('GET', path(id), { subject: { job: id } });
  if (ctx.json) ctx.printJson(job);
  else if (ctx.tty) ctx.out(table(['field', 'value'], jobLines(job)).split('\n').slice(1).join('\n'));
  else ctx.out(plainRows(jobLines(job)));
  return EXIT.ok;
}

/** `hotq result ID`: the result as JSON (or its bytes); a job that did not succeed is exit 1 with its status. */
export async function result(ctx: Context, id: string): Promise<number> {
  const found = await readResult(ctx, id);
  if (ctx.json && found.json === undefined) ctx.printJson({ contentType: found.contentType, base64: found.bytes.toString('base64') });
  else printResult(ctx, found);
  return EXIT.ok;
}

export interface ListOptions {
  status?: string;
  type?: string;
  tag?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
  cursor?: string;
}

/** `hotq ls`: a page of jobs, newest first; the next page's cursor is told on stderr (terminal) or in the JSON. */
export async function ls(ctx: Context, options: ListOptions): Promise<number> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options)) if (value !== undefined) query.set(name, String(value));
  const page = await ctx.client.json<{ jobs: JobView[]; nextCursor: string | null }>('GET', `/jobs${query.size > 0 ? `?${query}` : ''}`);
  if (ctx.json) {
    ctx.printJson(page);
    return EXIT.ok;
  }
  if (ctx.tty) {
    if (page.jobs.length === 0) ctx.out('no jobs\n');
    else {
      ctx.out(table(['ID', 'STATUS', 'TYPE', 'ATTEMPTS', 'CREATED', 'ERROR'], page.jobs.map((job) => [
        job.id, job.status, job.type, `${job.attempts}/${job.maxAttempts}`, age(job.createdAt), job.error?.message.slice(0, 60) ?? '',
      ])));
    }
    if (page.nextCursor) ctx.err(`more: hotq ls --cursor ${page.nextCursor}${options.limit ? ` --limit ${options.limit}` : ''}\n`);
  } else {
    ctx.out(plainRows(page.jobs.map((job) => [job.id, job.status, job.type, String(job.attempts), job.createdAt])));
  }
  return EXIT.ok;
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

/**
 * `hotq cancel ID`: 200 cancelled, 202 asked to stop; a finished job is exit 1 and stays. DELETE of a
 * finished job deletes it, which a cancel must never do, so the job is read first (a job that
 * finishes in the instant between the two requests is deleted: it was over anyway).
 */
export async function cancel(ctx: Context, id: string): Promise<number> {
  const current = await ctx.client.json<JobView>('GET', path(id), { subject: { job: id } });
  if (FINISHED.includes(current.status)) {
    throw new CliError(`job ${id} has already finished (${current.status}); nothing to cancel (hotq delete removes finished jobs)`, EXIT.failed, 'conflict');
  }
  const reply = await ctx.client.request('DELETE', path(id), { subject: { job: id } });
  const job = reply.body as JobView;
  if (ctx.json) ctx.printJson(job);
  else if (reply.status === 202) ctx.out(`${job.id} is running: its worker was asked to stop (follow it with: hotq watch ${job.id})\n`);
  else if ((reply.body as { deleted?: boolean }).deleted === true) ctx.out(`${id} finished just before the cancel arrived, which deleted it\n`);
  else ctx.out(`${job.id} cancelled\n`);
  return EXIT.ok;
}

/** The filter of the bulk actions (POST /jobs/retry, /jobs/delete). */
export interface BulkOptions {
  status?: string;
  type?: string;
  tag?: string;
  finishedBefore?: string;
  createdBefore?: string;
  dryRun?: boolean;
}

interface BulkAnswer {
  matched: number;
  changed: number;
  skipped: { count: number; reasons: Record<string, number> };
  dryRun: boolean;
}

const REASONS: Record<string, string> = {
  not_finished: 'not finished',
  not_failed_or_cancelled: 'neither failed nor cancelled',
  finished: 'already finished',
  changed_meanwhile: 'changed meanwhile',
  queue_full: 'the queue is full',
};

async function bulk(ctx: Context, action: 'retry' | 'delete', feature: string, body: Record<string, unknown>): Promise<number> {
  const answer = await ctx.client.json<BulkAnswer>('POST', `/jobs/${action}`, { body, subject: { feature } });
  if (ctx.json) {
    ctx.printJson(answer);
    return EXIT.ok;
  }
  const reasons = Object.entries(answer.skipped.reasons).map(([reason, count]) => `${count} ${REASONS[reason] ?? reason}`).join(', ');
  const skipped = answer.skipped.count > 0 ? `; skipped ${answer.skipped.count} (${reasons})` : '';
  const verb = action === 'retry' ? 'retried' : 'deleted';
  if (answer.dryRun) ctx.out(`would ${action} ${answer.changed} of ${answer.matched} matching job(s)${skipped}; run again without --dry-run to do it\n`);
  else ctx.out(`${verb} ${answer.changed} of ${answer.matched} matching job(s)${skipped}\n`);
  return EXIT.ok;
}

function filterBody(options: BulkOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of ['status', 'type', 'tag', 'finishedBefore', 'createdBefore'] as const) if (options[name] !== undefined) body[name] = options[name];
  if (options.dryRun) body.dryRun = true;
  return body;
}

/** `hotq retry ID` or `hotq retry --failed [filters] [--dry-run]`. */
export async function retry(ctx: Context, id: string | undefined, options: BulkOptions & { failed?: boolean }): Promise<number> {
  if (options.failed) {
    if (id !== undefined) throw usage('give either a job id or --failed, not both');
    return await bulk(ctx, 'retry', 'hotq retry --failed', { ...filterBody(options), status: 'failed' });
  }
  if (id === undefined) throw usage('which job? give its id (hotq retry ID), or --failed to retry every failed job that matches the filters');
  if (options.dryRun || options.type || options.tag || options.createdBefore) throw usage('--dry-run, --type, --tag and --created-before go with --failed');
  const job = await ctx.client.json<JobView>('POST', path(id, '/retry'), { subject: { job: id } });
  if (ctx.json) ctx.printJson(job);
  else ctx.out(`${job.id} queued again (attempts start over)\n`);
  return EXIT.ok;
}

/** `hotq delete --finished [filters] [--dry-run]`: finished jobs only; with no filter, every finished job. */
export async function deleteFinished(ctx: Context, options: BulkOptions & { finished?: boolean }): Promise<number> {
  if (!options.finished) throw usage('delete removes finished jobs only: say so with --finished (and narrow it with --status, --type, --tag, --finished-before, --created-before)');
  if (options.status !== undefined && !['succeeded', 'failed', 'cancelled'].includes(options.status)) {
    throw usage(`--status must be a finished status (succeeded, failed or cancelled), got ${JSON.stringify(options.status)}`);
  }
  const body = filterBody(options);
  const filtered = Object.keys(body).some((name) => name !== 'dryRun');
  // --finished is the explicit consent the API asks for (`all: true`) when no other filter narrows it.
  return await bulk(ctx, 'delete', 'hotq delete --finished', filtered ? body : { ...body, all: true });
}

