// The `hotq` command as a person or a script uses it: the built bin in real processes, against a real
// API and worker on a private Redis. Output is parsed (--json) or read as a person would read it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHotq, startHotq } from './run-hotq.js';
import { openGate, startSystem, submitJob, waitFor, type System } from './system.js';

let system: System;
let env: Record<string, string>;
const hotq = (args: string[], options: Parameters<typeof runHotq>[1] = {}) => runHotq(args, { ...options, env: { ...env, ...options.env } });
const json = (text: string): any => JSON.parse(text); // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  system = await startSystem();
  env = { HOTQ_URL: system.url };
});
afterAll(async () => {
  await system?.close();
});

describe('hotq submit --wait', () => {
  it('prints the result of a job that succeeds and exits 0', async () => {
    const ran = await hotq(['submit', 'wordcount', '--params', '{"text":"to be or not to be"}', '--wait']);
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(json(ran.stdout)).toEqual({ words: 6, unique: 4, top: [['be', 2], ['to', 2], ['not', 1], ['or', 1]] });

    const scripted = await hotq(['submit', 'echo', '--params', '{"a":1}', '--wait', '--json']);
    expect(scripted.code).toBe(0);
    const answer = json(scripted.stdout);
    expect(answer.job).toMatchObject({ type: 'echo', status: 'succeeded', attempts: 1 });
    expect(answer.result).toEqual({ a: 1 });
  });

  it('exits 1 and says why when the job fails', async () => {
    const ran = await hotq(['submit', 'doomed', '--wait']);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toMatch(/failed.*doomed on purpose \(doomed\)/);

    const scripted = await hotq(['submit', 'fail', '--params', '{"message":"no luck"}', '--max-attempts', '1', '--wait', '--json']);
    expect(scripted.code).toBe(1);
    const answer = json(scripted.stdout);
    expect(answer.job).toMatchObject({ status: 'failed', error: { message: 'no luck' } });
    expect(answer.result).toBeUndefined();
  });

  it('takes params from a file and from standard input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotq-cli-'));
    writeFileSync(join(dir, 'params.json'), '{"values":[1,2,3]}');
    const fromFile = await hotq(['submit', 'stats', '--params', `@${join(dir, 'params.json')}`, '--wait', '--json']);
    expect(json(fromFile.stdout).result).toMatchObject({ count: 3, mean: 2, median: 2 });
    const fromStdin = await hotq(['submit', 'echo', '--params', '-', '--wait'], { input: '{"from":"stdin"}' });
    expect(json(fromStdin.stdout)).toEqual({ from: 'stdin' });
  });
});

describe('hotq get, result, ls', () => {
  it('submits without waiting (the id alone in a pipe), then shows the job and its result', async () => {
    const submitted = await hotq(['submit', 'echo', '--params', '{"x":"y"}']);
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect((await hotq(['watch', id])).code).toBe(0);

    const got = await hotq(['get', id, '--json']);
    expect(json(got.stdout)).toMatchObject({ id, type: 'echo', status: 'succeeded', params: { x: 'y' } });
    const lines = (await hotq(['get', id])).stdout.split('\n');
    expect(lines).toContain(`id\t${id}`);
    expect(lines).toContain('status\tsucceeded');

    const result = await hotq(['result', id]);
    expect(result.code).toBe(0);
    expect(json(result.stdout)).toEqual({ x: 'y' });
  });

  it('says a failed job has no result, with exit 1', async () => {
    const job = await submitJob(system.url, { type: 'doomed' });
    await hotq(['watch', job.id]);
    const result = await hotq(['result', job.id]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`job ${job.id} has no result: its status is failed`);
  });

  it('lists newest first, filters, and pages with the cursor', async () => {
    const type = 'sleep';
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await submitJob(system.url, { type, params: { ms: 0 } })).id);
    const first = json((await hotq(['ls', '--type', type, '--limit', '2', '--json'])).stdout);
    expect(first.jobs.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[1]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = json((await hotq(['ls', '--type', type, '--limit', '2', '--cursor', first.nextCursor, '--json'])).stdout);
    expect(second.jobs.map((job: { id: string }) => job.id)).toEqual([ids[0]]);

    // Plain lines in a pipe: tab-separated, no header.
    const plain = await hotq(['ls', '--type', type, '--limit', '3']);
    const rows = plain.stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(rows.map((row) => row[0])).toEqual([ids[2], ids[1], ids[0]]);
    expect(rows.every((row) => row[2] === type)).toBe(true);

    const failed = json((await hotq(['ls', '--status', 'failed', '--json'])).stdout);
    expect(failed.jobs.length).toBeGreaterThan(0);
    expect(failed.jobs.every((job: { status: string }) => job.status === 'failed')).toBe(true);
  });
});

describe('hotq watch', () => {
  it('prints each change as a plain line until the job ends', async () => {
    // The job stops at 50% until the test lets it go, so the watcher sees it midway however slow the machine.
    const job = await submitJob(system.url, { type: 'gated', params: { gate: 'watch-lines' } });
    const watching = startHotq(['watch', job.id], env);
    await waitFor(async () => watching.stdout().includes(`${job.id} running 50%`), 'the watcher to show 50%', 30_000);
    openGate('watch-lines');
    expect(await watching.exit).toBe(0);
    const lines = watching.stdout().trim().split('\n');
    expect(lines).toContain(`${job.id} running 50%`);
    expect(lines.at(-1)).toBe(`${job.id} succeeded 100%`);
  });

  it('exits 1 for a job that fails, and answers the job with --json', async () => {
    const job = await submitJob(system.url, { type: 'doomed' });
    const ran = await hotq(['watch', job.id, '--json']);
    expect(ran.code).toBe(1);
    expect(json(ran.stdout)).toMatchObject({ id: job.id, status: 'failed', error: { code: 'doomed' } });
  });
});

describe('hotq cancel and retry', () => {
  it('cancels a waiting job, refuses a second cancel (exit 1), and retries it', async () => {
    const job = await submitJob(system.url, { type: 'echo', delayMs: 60_000 });
    const cancelled = await hotq(['cancel', job.id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toBe(`${job.id} cancelled\n`);
    const again = await hotq(['cancel', job.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already finished (cancelled)');

    const retried = await hotq(['retry', job.id, '--json']);
    expect(retried.code).toBe(0);
    // The worker may have taken it already: anything but cancelled means it was queued again.
    expect(json(retried.stdout).id).toBe(job.id);
    expect(json(retried.stdout).status).not.toBe('cancelled');
    expect((await hotq(['watch', job.id])).code).toBe(0);
  });

  it('asks a running job to stop (202) and the job ends cancelled', async () => {
    // Never opened: the job runs until it is cancelled.
    const job = await submitJob(system.url, { type: 'gated', params: { gate: 'never' } });
    await waitFor(async () => json((await hotq(['get', job.id, '--json'])).stdout).progress === 50, 'the job to run', 30_000);
    const cancelled = await hotq(['cancel', job.id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('asked to stop');
    const watched = await hotq(['watch', job.id, '--json']);
    expect(watched.code).toBe(1);
    expect(json(watched.stdout).status).toBe('cancelled');
  });
});

describe('hotq stats and workers', () => {
  it('shows counts, depths and the live worker', async () => {
    const stats = json((await hotq(['stats', '--json'])).stdout);
    expect(stats.counts.succeeded).toBeGreaterThan(0);
    expect(stats.workers).toBe(1);
    const plain = (await hotq(['stats'])).stdout.split('\n');
    expect(plain).toContain(`counts.succeeded ${stats.counts.succeeded}`);
    expect(plain).toContain('workers 1');

    const workers = json((await hotq(['workers', '--json'])).stdout);
    expect(workers.workers.map((w: { id: string }) => w.id)).toEqual([system.worker.id]);
    expect((await hotq(['workers'])).stdout).toContain(`${system.worker.id}\t`);
  });

  it('stats --watch prints at once and keeps going until stopped', async () => {
    const watching = startHotq(['stats', '--watch', '--json'], env);
    await waitFor(async () => watching.stdout().includes('\n'), 'the first reading', 30_000);
    // The next reading is 10 s away: a second later it still runs, with one line out.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const lines = watching.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(json(lines[0] ?? '').counts).toBeDefined();
    watching.kill();
    expect(await watching.exit).not.toBe(0);
  });
});

describe('hotq submit --priority and hotq limits', () => {
  it('submits with a priority, shown on the job', async () => {
    const low = json((await hotq(['submit', 'echo', '--priority', '-5', '--json'])).stdout);
    expect(low.priority).toBe(-5);
    expect((await hotq(['get', low.id])).stdout.split('\n')).toContain('priority\t-5');
    const refused = await hotq(['submit', 'echo', '--priority', '101']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('must be an integer from -100 to 100');
  });

  it('submits a job that waits on another, shown on the job', async () => {
    const first = json((await hotq(['submit', 'echo', '--delay', '60000', '--json'])).stdout);
    const second = json((await hotq(['submit', 'echo', '--depends-on', first.id, '--on-dependency-failure', 'run', '--json'])).stdout);
    expect(second).toMatchObject({ status: 'waiting', dependsOn: [first.id], onDependencyFailure: 'run' });
    expect((await hotq(['get', second.id])).stdout.split('\n')).toContain(`depends on\t${first.id} (runs even if one fails)`);
    expect((await hotq(['ls', '--status', 'waiting', '--json'])).stdout).toContain(second.id);
    const refused = await hotq(['submit', 'echo', '--depends-on', '01ARZ3NDEKTSV4RRFFQ69G5FAV']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('which is not a job of this queue');
  });

  it('sets, lists and removes limits', async () => {
    const set = await hotq(['limits', 'set', 'type:render', '--rate', '50/1s', '--concurrency', '3']);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('type:render: rate 50/1s, concurrency 3\n');
    expect(json((await hotq(['limits', 'set', 'tag:customer:acme', '--rate', '600/1m', '--json'])).stdout)).toEqual({ scope: 'tag:customer:acme', rate: { count: 600, perMs: 60_000 }, concurrency: null });
    const listed = json((await hotq(['limits', '--json'])).stdout).limits;
    expect(listed.map((limit: { scope: string }) => limit.scope)).toEqual(['tag:customer:acme', 'type:render']);
    expect((await hotq(['limits'])).stdout.split('\n')).toContain('type:render\t50/1s\t3\t0\t0');
    expect((await hotq(['limits'], { tty: true })).stdout).toMatch(/^SCOPE\s+RATE\s+STARTS IN WINDOW\s+CONCURRENCY\s+RUNNING/);
    expect((await hotq(['limits', 'rm', 'type:render'])).stdout).toBe('type:render: limit removed\n');
    expect((await hotq(['limits', 'rm', 'type:render'])).stdout).toBe('type:render had no limit\n');
    expect((await hotq(['limits', 'rm', 'tag:customer:acme'])).code).toBe(0);
    expect(json((await hotq(['limits', '--json'])).stdout)).toEqual({ limits: [] });
  });

  it('refuses a malformed scope, rate or an empty limit with exit 2', async () => {
    for (const [args, says] of [
      [['limits', 'set', 'render', '--rate', '5/1s'], 'must be queue, type:NAME or tag:NAME'],
      [['limits', 'set', 'queue', '--rate', '5 per second'], 'must be COUNT/WINDOW'],
      [['limits', 'set', 'queue', '--rate', '0/1s'], 'must be COUNT/WINDOW'],
      [['limits', 'set', 'queue'], 'give --rate, --concurrency or both'],
      [['limits', 'set', 'type:Bad Type', '--concurrency', '1'], 'path parameter type: must match'],
    ] as const) {
      const ran = await hotq([...args]);
      expect({ args, code: ran.code }).toEqual({ args, code: 2 });
      expect(ran.stderr).toContain(says);
    }
    expect(json((await hotq(['limits', '--json'])).stdout)).toEqual({ limits: [] });
  });
});

describe('the terminal', () => {
  it('draws a progress bar and a table in a pseudo-terminal', async () => {
    const ran = await hotq(['submit', 'steps', '--params', '{"steps":5,"ms":150}', '--wait'], { tty: true });
    expect(ran.code).toBe(0);
    // The bar is redrawn in place (carriage return, clear line) and reaches 100%.
    expect(ran.stdout).toContain('\r\x1b[2K');
    expect(ran.stdout).toMatch(/\[#{6}-{24}\]\s+20%/);
    expect(ran.stdout).toMatch(/\[#{30}\] 100%/);
    expect(ran.stdout).toMatch(/succeeded in \d/);

    const table = await hotq(['ls', '--limit', '2'], { tty: true });
    expect(table.stdout.split(/\r?\n/)[0]).toMatch(/^ID\s+STATUS\s+TYPE\s+ATTEMPTS\s+CREATED/);
  });
});

describe('hotq pause and resume', () => {
  it('hold the worker back while paused (a job waits queued), and it runs once resumed', async () => {
    const paused = await hotq(['pause']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('queue paused');
    expect(json((await hotq(['stats', '--json'])).stdout).paused).toBe(true);
    const job = await submitJob(system.url, { type: 'echo', params: { n: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(json((await hotq(['get', job.id, '--json'])).stdout).status).toBe('queued');

    const resumed = await hotq(['resume', '--json']);
    expect(resumed.code).toBe(0);
    expect(json(resumed.stdout)).toEqual({ paused: false });
    expect((await hotq(['watch', job.id])).code).toBe(0);
  });
});

describe('hotq tags, time filters and bulk actions', () => {
  it('submits with tags, and ls finds the jobs by tag and creation time', async () => {
    const tag = `order:${Date.now()}`;
    const first = await hotq(['submit', 'echo', '--tag', tag, '--tag', 'customer:42', '--json']);
    expect(first.code).toBe(0);
    expect(json(first.stdout).tags).toEqual([tag, 'customer:42']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = json((await hotq(['submit', 'echo', '--tag', tag, '--json'])).stdout);
    const listed = json((await hotq(['ls', '--tag', tag, '--json'])).stdout);
    expect(listed.jobs.map((job: { id: string }) => job.id)).toEqual([second.id, json(first.stdout).id]);
    const after = json((await hotq(['ls', '--tag', tag, '--created-after', second.createdAt, '--json'])).stdout);
    expect(after.jobs.map((job: { id: string }) => job.id)).toEqual([second.id]);
    const before = json((await hotq(['ls', '--tag', tag, '--created-before', second.createdAt, '--json'])).stdout);
    expect(before.jobs.map((job: { id: string }) => job.id)).toEqual([json(first.stdout).id]);
    expect((await hotq(['ls', '--created-after', 'last tuesday'])).code).toBe(2);
  });

  it('retries the failed jobs of a filter and deletes finished ones, with a dry run first', async () => {
    const tag = `batch:${Date.now()}`;
    const jobs = await Promise.all([0, 1, 2].map(() => submitJob(system.url, { type: 'doomed', tags: [tag] })));
    await waitFor(async () => json((await hotq(['ls', '--tag', tag, '--status', 'failed', '--json'])).stdout).jobs.length === 3, 'three failed jobs');

    const dry = await hotq(['retry', '--failed', '--tag', tag, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toBe('would retry 3 of 3 matching job(s); run again without --dry-run to do it\n');
    const retried = await hotq(['retry', '--failed', '--tag', tag, '--json']);
    expect(json(retried.stdout)).toEqual({ matched: 3, changed: 3, skipped: { count: 0, reasons: {} }, dryRun: false });
    // The worker fails them again at once.
    await waitFor(async () => json((await hotq(['ls', '--tag', tag, '--status', 'failed', '--json'])).stdout).jobs.length === 3, 'failed again');

    const running = await submitJob(system.url, { type: 'gated', params: { gate: tag }, tags: [tag] });
    await waitFor(async () => json((await hotq(['get', running.id, '--json'])).stdout).status === 'running', 'the gated job to run');
    const deleted = await hotq(['delete', '--finished', '--tag', tag]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('deleted 3 of 4 matching job(s); skipped 1 (1 not finished)\n');
    for (const job of jobs) expect((await hotq(['get', job.id])).code).toBe(1);
    openGate(tag);
    expect((await hotq(['watch', running.id])).code).toBe(0);
  });
});

describe('hotq schedules', () => {
  it('sets, lists, shows, pauses, resumes and deletes a schedule', async () => {
    const set = await hotq(['schedules', 'set', 'cli-hourly', 'echo', '--every', '1h', '--params', '{"n":1}', '--priority', '3']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^schedule cli-hourly created: echo, every 1h; next at \S+Z \(in (59m|1h)\)\n$/);
    // The same definition again changes nothing.
    expect((await hotq(['schedules', 'set', 'cli-hourly', 'echo', '--every', '1h', '--params', '{"n":1}', '--priority', '3'])).stdout).toMatch(/^schedule cli-hourly saved: /);
    const cron = json((await hotq(['schedules', 'set', 'cli-nightly', 'wordcount', '--cron', '30 2 * * *', '--tz', 'Europe/Berlin', '--misfire', '2', '--overlap', 'allow', '--json'])).stdout);
    expect(cron).toMatchObject({ id: 'cli-nightly', job: { type: 'wordcount' }, cron: '30 2 * * *', tz: 'Europe/Berlin', everyMs: null, misfire: { max: 2 }, overlap: 'allow', paused: false });

    const listed = json((await hotq(['schedules', '--json'])).stdout).schedules;
    expect(listed.map((s: { id: string }) => s.id)).toEqual(['cli-hourly', 'cli-nightly']);
    expect(listed[0]).toMatchObject({ everyMs: 3_600_000, job: { params: { n: 1 }, priority: 3 }, count: 0 });
    // Plain rows in a pipe: id, type, when, next due, state, made, last job.
    const rows = (await hotq(['schedules', 'ls'])).stdout.trim().split('\n').map((line) => line.split('\t'));
    expect(rows[0]).toEqual(['cli-hourly', 'echo', 'every 1h', listed[0].nextAt, 'active', '0', '-']);
    expect(rows[1]?.slice(0, 3)).toEqual(['cli-nightly', 'wordcount', 'cron "30 2 * * *" Europe/Berlin']);
    expect((await hotq(['schedules'], { tty: true })).stdout).toMatch(/^ID\s+TYPE\s+WHEN\s+NEXT\s+STATE\s+MADE\s+LAST JOB/);
    expect((await hotq(['schedules', 'get', 'cli-nightly'])).stdout.split('\n')).toEqual(expect.arrayContaining(['misfire\tmax 2', 'overlap\tallow', 'state\tactive']));

    const paused = await hotq(['schedules', 'pause', 'cli-hourly']);
    expect(paused.stdout).toBe('schedule cli-hourly paused: no occurrence until it is resumed (hotq schedules resume cli-hourly)\n');
    expect(json((await hotq(['schedules', 'get', 'cli-hourly', '--json'])).stdout)).toMatchObject({ paused: true, nextAt: null });
    const resumed = json((await hotq(['schedules', 'resume', 'cli-hourly', '--json'])).stdout);
    expect(resumed).toMatchObject({ paused: false, nextAt: expect.any(String) });

    expect((await hotq(['schedules', 'rm', 'cli-nightly'])).stdout).toBe('schedule cli-nightly deleted (the jobs it made stay)\n');
    expect(json((await hotq(['schedules', '--json'])).stdout).schedules.map((s: { id: string }) => s.id)).toEqual(['cli-hourly']);
  });

  it('runs a schedule now: the job id in a pipe, and --wait follows it to its result', async () => {
    await hotq(['schedules', 'set', 'cli-run', 'wordcount', '--every', '1d', '--params', '{"text":"a b a"}']);
    const ran = await hotq(['schedules', 'run', 'cli-run']);
    expect(ran.code).toBe(0);
    const id = ran.stdout.trim();
    expect(id).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(json((await hotq(['get', id, '--json'])).stdout).schedule).toMatchObject({ id: 'cli-run' });
    expect((await hotq(['watch', id])).code).toBe(0);

    const waited = await hotq(['schedules', 'run', 'cli-run', '--wait', '--json']);
    expect(waited.code).toBe(0);
    expect(json(waited.stdout)).toMatchObject({ job: { status: 'succeeded', schedule: { id: 'cli-run' } }, result: { words: 3, unique: 2 } });
    const schedule = json((await hotq(['schedules', 'get', 'cli-run', '--json'])).stdout);
    expect(schedule.lastJobId).toBe(json(waited.stdout).job.id);
    // Run now is not an occurrence at the schedule's times: it does not count.
    expect(schedule.count).toBe(0);

    await hotq(['schedules', 'set', 'cli-doomed', 'doomed', '--every', '1d']);
    const failed = await hotq(['schedules', 'run', 'cli-doomed', '--wait']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/failed.*doomed on purpose/);
    for (const id of ['cli-run', 'cli-doomed']) expect((await hotq(['schedules', 'rm', id])).code).toBe(0);
  });

  it('refuses bad definitions with exit 2, naming what is wrong, and writes nothing', async () => {
    for (const [args, says] of [
      [['schedules', 'set', 'bad', 'echo'], 'give exactly one of --every'],
      [['schedules', 'set', 'bad', 'echo', '--every', '1m', '--cron', '* * * * *'], 'give exactly one of --every'],
      [['schedules', 'set', 'bad', 'echo', '--every', 'often'], 'must be a span such as 30s'],
      [['schedules', 'set', 'bad', 'echo', '--every', '500ms'], 'everyMs: must be an integer from 1000'],
      [['schedules', 'set', 'bad', 'echo', '--every', '1m', '--tz', 'Europe/Berlin'], '--tz is the time zone of --cron'],
      [['schedules', 'set', 'bad', 'echo', '--cron', 'every tuesday'], 'cron'],
      [['schedules', 'set', 'bad', 'echo', '--cron', '0 3 * * *', '--tz', 'Mars/Olympus'], 'tz'],
      [['schedules', 'set', 'bad', 'echo', '--every', '1m', '--misfire', 'some'], 'must be skip, one, or a number'],
      [['schedules', 'set', 'bad', 'echo', '--every', '1m', '--overlap', 'maybe'], 'Allowed choices are skip, allow'],
      [['schedules', 'set', 'no spaces', 'echo', '--every', '1m'], 'path parameter id'],
      [['schedules', 'set', 'bad', 'Not A Type', '--every', '1m'], 'job.type'],
      [['schedules', 'set', 'bad', 'echo', '--every', '1m', '--params', '[1]'], '--params must be a JSON object'],
      [['schedules', 'sett', 'bad'], 'hotq schedules has no command "sett"'],
      [['schedules', 'get'], "missing required argument 'id'"],
    ] as const) {
      const ran = await hotq([...args]);
      expect({ args, code: ran.code }).toEqual({ args, code: 2 });
      expect(ran.stderr).toContain(says);
    }
    expect((await hotq(['schedules', 'get', 'bad'])).code).toBe(1);
  });

  it('a missing schedule is exit 1 with a clear message, for every command that names one', async () => {
    for (const command of ['get', 'pause', 'resume', 'run', 'rm']) {
      const ran = await hotq(['schedules', command, 'no-such-schedule']);
      expect({ command, code: ran.code }).toEqual({ command, code: 1 });
      expect(ran.stderr).toContain('no schedule no-such-schedule on http://127.0.0.1:');
      expect(ran.stderr).toContain('hotq schedules lists them');
    }
    expect(json((await hotq(['schedules', 'rm', 'no-such-schedule', '--json'])).stderr)).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('errors say what was wrong and how to fix it', () => {
  it('usage errors exit 2', async () => {
    for (const args of [['bogus'], ['submit', 'echo', '--params', '[1]'], ['submit', 'echo', '--params', '{nope'], ['ls', '--limit', '0'], ['retry'], ['delete'], ['get']]) {
      const ran = await hotq(args);
      expect({ args, code: ran.code }).toEqual({ args, code: 2 });
      expect(ran.stderr).not.toBe('');
    }
    const malformed = await hotq(['get', 'not-an-id']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('must be a job id');
    expect((await hotq(['--help'])).code).toBe(0);
  });

  it('an unreachable API, a missing job', async () => {
    const unreachable = await hotq(['stats'], { env: { HOTQ_URL: 'http://127.0.0.1:9' } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the hotq API at http:\/\/127\.0\.0\.1:9 .*HOTQ_URL/);
    const missing = await hotq(['get', '01JD5Z3V9Q8W7E6R5T4Y3X2H1G']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no job 01JD5Z3V9Q8W7E6R5T4Y3X2H1G');
    const scripted = await hotq(['get', '01JD5Z3V9Q8W7E6R5T4Y3X2H1G', '--json']);
    expect(json(scripted.stderr)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('the operator commands say an API without their routes does not offer them yet', async () => {
    // An API of an older version: its answer to a route it does not have.
    const older = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no such route"}}');
    });
    await new Promise<void>((resolve) => older.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(older.address() as AddressInfo).port}`;
      for (const args of [['pause'], ['resume'], ['retry', '--failed', '--dry-run'], ['delete', '--finished']]) {
        const ran = await hotq(args, { env: { HOTQ_URL: url } });
        expect({ args, code: ran.code }).toEqual({ args, code: 1 });
        expect(ran.stderr).toMatch(/this API does not offer "hotq (pause|resume|retry --failed|delete --finished)" yet/);
      }
      for (const [args, feature] of [[['schedules'], 'hotq schedules'], [['schedules', 'get', 'x'], 'hotq schedules get'], [['schedules', 'run', 'x'], 'hotq schedules run'],
        [['schedules', 'set', 'x', 'echo', '--every', '1m'], 'hotq schedules set']] as const) {
        const ran = await hotq([...args], { env: { HOTQ_URL: url } });
        expect({ args, code: ran.code }).toEqual({ args, code: 1 });
        expect(ran.stderr).toContain(`this API does not offer "${feature}" yet`);
      }
    } finally {
      older.close();
    }
  });

  describe('with tokens', () => {
    let secured: System;
    beforeAll(async () => {
      secured = await startSystem({ apiToken: 'full-token', readToken: 'read-token', noWorker: true });
    });
    afterAll(async () => {
      await secured?.close();
    });

    it('401 without a token or with a wrong one, 403 for a write with the read token', async () => {
      const none = await hotq(['stats'], { env: { HOTQ_URL: secured.url } });
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('needs a token (401); pass --token or set HOTQ_API_TOKEN');
      const wrong = await hotq(['stats', '--token', 'nope'], { env: { HOTQ_URL: secured.url } });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toContain('does not accept this token');

      const read = { HOTQ_URL: secured.url, HOTQ_API_TOKEN: 'read-token' };
      expect((await hotq(['stats', '--json'], { env: read })).code).toBe(0);
      const write = await hotq(['submit', 'echo'], { env: read });
      expect(write.code).toBe(1);
      expect(write.stderr).toContain('this token may only read (403)');

      const readSet = await hotq(['schedules', 'set', 'guarded', 'echo', '--every', '1h'], { env: read });
      expect(readSet.code).toBe(1);
      expect(readSet.stderr).toContain('this token may only read (403): PUT /schedules/guarded needs the full token');
      expect(json((await hotq(['schedules', '--json'], { env: read })).stdout)).toEqual({ schedules: [] });

      const full = await hotq(['submit', 'echo'], { env: { HOTQ_URL: secured.url, HOTQ_API_TOKEN: 'full-token' } });
      expect(full.code).toBe(0);
      // The event stream takes the token too (as a header here).
      const id = full.stdout.trim();
      const cancelled = await hotq(['cancel', id, '--token', 'full-token'], { env: { HOTQ_URL: secured.url } });
      expect(cancelled.code).toBe(0);
      const watched = await hotq(['watch', id, '--json'], { env: read });
      expect(json(watched.stdout).status).toBe('cancelled');
    });
  });
});
