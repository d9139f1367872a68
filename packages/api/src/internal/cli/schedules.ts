// The schedule commands: `hotq schedules [ls]`, `get`, `set`, `pause`, `resume`, `run`, `rm`, over the
// /schedules routes (docs/decisions/0019).
import type { JobSchedule } from '@hotq/jobs-store';
import { InvalidArgumentError } from 'commander';
import { EXIT, usage, type Subject } from './client.js';
import type { Context } from './context.js';
import { formatSpan, parseSpan } from './durations.js';
import { plainRows, table, until, type JobView } from './format.js';
import { waitAndReport } from './jobs.js';
import { readParams } from './params.js';

/** A schedule as the API answers it (jobs-store's JobSchedule). */
export type ScheduleView = JobSchedule;

const path = (id: string, rest = ''): string => `/schedules/${encodeURIComponent(id)}${rest}`;
const about = (id: string, command: string): Subject => ({ schedule: id, feature: `hotq schedules ${command}` });

/** `every 5m`, or `cron "0 3 * * *" Europe/Berlin`. */
export function whenText(schedule: ScheduleView): string {
  if (schedule.cron !== null) return `cron "${schedule.cron}"${schedule.tz ? ` ${schedule.tz}` : ''}`;
  return `every ${formatSpan(schedule.everyMs ?? 0)}`;
}

/** `ended` (past its end or limit), `paused`, or `active`. */
export const stateOf = (schedule: ScheduleView): string => (schedule.ended ? 'ended' : schedule.paused ? 'paused' : 'active');

const misfireText = (misfire: ScheduleView['misfire']): string => (typeof misfire === 'string' ? misfire : `max ${misfire.max}`);

/** `--every 5m`: a span of at least a second (the API's minimum; it says so too). */
export function parseEvery(value: string): number {
  const ms = parseSpan(value);
  if (ms === undefined || ms < 1) throw new InvalidArgumentError('must be a span such as 30s, 5m, 1h or 1d (a number without a unit is in ms)');
  return ms;
}

/** `--misfire skip|one|N`: N makes up to N of the missed occurrences (the latest). */
export function parseMisfire(value: string): ScheduleView['misfire'] {
  if (value === 'skip' || value === 'one') return value;
  if (/^[0-9]{1,3}$/.test(value) && Number(value) >= 1 && Number(value) <= 100) return { max: Number(value) };
  throw new InvalidArgumentError('must be skip, one, or a number from 1 to 100 (make up to that many missed occurrences)');
}

/** `hotq schedules` / `hotq schedules ls`: every schedule, the API's pages followed. */
export async function list(ctx: Context): Promise<number> {
  const schedules: ScheduleView[] = [];
  for (let cursor: string | null = null, first = true; first || cursor !== null; first = false) {
    const path: string = `/schedules?limit=1000${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page: { schedules: ScheduleView[]; nextCursor?: string | null } = await ctx.client.json('GET', path, { subject: { feature: 'hotq schedules' } });
    schedules.push(...page.schedules);
    cursor = page.nextCursor ?? null;
  }
  if (ctx.json) ctx.printJson({ schedules });
  else if (ctx.tty) {
    ctx.out(schedules.length === 0
      ? 'no schedules (make one: hotq schedules set ID TYPE --every 1h)\n'
      : table(['ID', 'TYPE', 'WHEN', 'NEXT', 'STATE', 'MADE', 'LAST JOB'], schedules.map((s) => [
        s.id, s.job.type, whenText(s), s.nextAt ? `${s.nextAt} (${until(s.nextAt)})` : '-', stateOf(s), String(s.count), s.lastJobId ?? '-',
      ])));
  } else {
    ctx.out(plainRows(schedules.map((s) => [s.id, s.job.type, whenText(s), s.nextAt ?? '-', stateOf(s), String(s.count), s.lastJobId ?? '-'])));
  }
  return EXIT.ok;
}

function scheduleLines(s: ScheduleView): string[][] {
  const rows: string[][] = [['id', s.id], ['type', s.job.type], ['when', whenText(s)], ['state', stateOf(s)], ['next', s.nextAt ?? '-']];
  if (s.startAt) rows.push(['start', s.startAt]);
  if (s.endAt) rows.push(['end', s.endAt]);
  if (s.limit !== null) rows.push(['limit', String(s.limit)]);
  rows.push(['made', String(s.count)], ['last due', s.lastDueAt ?? '-'], ['last job', s.lastJobId ?? '-']);
  rows.push(['misfire', misfireText(s.misfire)], ['overlap', s.overlap]);
  rows.push(['params', JSON.stringify(s.job.params)], ['attempts', String(s.job.maxAttempts)]);
  if (s.job.priority !== 0) rows.push(['priority', String(s.job.priority)]);
  if (s.job.timeoutMs !== null) rows.push(['timeout', `${s.job.timeoutMs} ms`]);
  return rows;
}

function show(ctx: Context, schedule: ScheduleView): void {
  if (ctx.json) ctx.printJson(schedule);
  else if (ctx.tty) ctx.out(table(['field', 'value'], scheduleLines(schedule)).split('\n').slice(1).join('\n'));
  else ctx.out(plainRows(scheduleLines(schedule)));
}

/** `hotq schedules get ID`. */
export async function get(ctx: Context, id: string): Promise<number> {
  show(ctx, await ctx.client.json<ScheduleView>('GET', path(id), { subject: about(id, 'get') }));
  return EXIT.ok;
}

export interface SetOptions {
  every?: number;
  cron?: string;
  tz?: string;
  params?: string;
  maxAttempts?: number;
  timeout?: number;
  priority?: number;
  startAt?: string;
  endAt?: string;
  limit?: number;
  misfire?: ScheduleView['misfire'];
  overlap?: 'skip' | 'allow';
}

/** `hotq schedules set ID TYPE --every 5m | --cron EXPR [--tz ZONE] ...`: creates or replaces it (PUT). */
export async function set(ctx: Context, id: string, type: string, options: SetOptions): Promise<number> {
  if ((options.every === undefined) === (options.cron === undefined)) {
    throw usage('give exactly one of --every (e.g. --every 5m) and --cron (e.g. --cron "0 3 * * *")');
  }
  if (options.tz !== undefined && options.cron === undefined) throw usage('--tz is the time zone of --cron; an --every schedule has none');
  const params = await readParams(options.params);
  const job = {
    type,
    ...(params === undefined ? {} : { params }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.timeout === undefined ? {} : { timeoutMs: options.timeout }),
    ...(options.priority === undefined ? {} : { priority: options.priority }),
  };
  const body: Record<string, unknown> = { job };
  for (const [name, value] of [['cron', options.cron], ['tz', options.tz], ['everyMs', options.every], ['startAt', options.startAt], ['endAt', options.endAt],
    ['limit', options.limit], ['misfire', options.misfire], ['overlap', options.overlap]] as const) {
    if (value !== undefined) body[name] = value;
  }
  const reply = await ctx.client.request('PUT', path(id), { body, subject: { feature: 'hotq schedules set' } });
  const schedule = reply.body as ScheduleView;
  if (ctx.json) ctx.printJson(schedule);
  else {
    const next = schedule.nextAt ? `next at ${schedule.nextAt} (${until(schedule.nextAt)})` : `${stateOf(schedule)}: nothing more is due`;
    ctx.out(`schedule ${schedule.id} ${reply.status === 201 ? 'created' : 'saved'}: ${schedule.job.type}, ${whenText(schedule)}; ${next}\n`);
  }
  return EXIT.ok;
}

/** `hotq schedules pause ID` / `resume ID`. */
export async function setPaused(ctx: Context, id: string, pause: boolean): Promise<number> {
  const word = pause ? 'pause' : 'resume';
  const schedule = await ctx.client.json<ScheduleView>('POST', path(id, `/${word}`), { subject: about(id, word) });
  if (ctx.json) ctx.printJson(schedule);
  else if (schedule.paused) ctx.out(`schedule ${id} paused: no occurrence until it is resumed (hotq schedules resume ${id})\n`);
  else ctx.out(`schedule ${id} ${schedule.ended ? 'resumed, but it has ended: nothing more is due' : `resumed; next at ${schedule.nextAt ?? '-'}`}\n`);
  return EXIT.ok;
}

/** `hotq schedules run ID [--wait]`: one occurrence now; prints its job id (pipe) or a sentence (terminal). */
export async function run(ctx: Context, id: string, options: { wait?: boolean }): Promise<number> {
  const reply = await ctx.client.request('POST', path(id, '/run'), { subject: about(id, 'run') });
  const job = reply.body as JobView;
  if (options.wait) {
    if (ctx.tty && !ctx.json) ctx.out(`schedule ${id} made ${job.id} (${job.type})\n`);
    return await waitAndReport(ctx, job);
  }
  if (ctx.json) ctx.printJson(job);
  else if (ctx.tty) ctx.out(`schedule ${id} made ${job.id} (${job.type}, ${job.status}); follow it with: hotq watch ${job.id}\n`);
  else ctx.out(`${job.id}\n`);
  return EXIT.ok;
}

/** `hotq schedules rm ID`. */
export async function remove(ctx: Context, id: string): Promise<number> {
  const answer = await ctx.client.json<{ id: string; deleted: boolean }>('DELETE', path(id), { subject: about(id, 'rm') });
  if (ctx.json) ctx.printJson(answer);
  else ctx.out(`schedule ${id} deleted (the jobs it made stay)\n`);
  return EXIT.ok;
}
