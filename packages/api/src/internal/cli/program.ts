// The `hotq` command line: commander wiring, global options, and one exit-code policy for every command.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ApiClient, CliError, EXIT, usage } from './client.js';
import { createContext, type Context } from './context.js';
import { watch } from './follow.js';
import * as jobs from './jobs.js';
import * as limits from './limits.js';
import * as queue from './queue.js';
import * as schedules from './schedules.js';
import { VERSION } from '../version.js';

interface Globals {
  url: string;
  token?: string;
  json?: boolean;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return Number(value);
  };
}

/** A whole number that may be negative (`--priority -5`). */
function signedInteger(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?[0-9]+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return Number(value);
  };
}

function isoTime(value: string): string {
  if (Number.isNaN(Date.parse(value))) throw new InvalidArgumentError('must be an ISO-8601 time, e.g. 2026-01-31T12:00:00Z');
  return value;
}

/** An environment variable, an empty value counting as unset. */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Runs `hotq` with the given arguments (without node and the script) and answers the exit code:
 * 0 success, 1 the job or the action failed, 2 the command line was wrong.
 */
export async function runCli(args: string[]): Promise<number> {
  let code: number = EXIT.ok;
  let json = false;
  const run = (fn: (ctx: Context, command: Command) => Promise<number>) => async (...actionArgs: unknown[]): Promise<void> => {
    const command = actionArgs[actionArgs.length - 1] as Command;
    const globals = command.optsWithGlobals<Globals>();
    json = globals.json === true;
    const ctx = createContext(new ApiClient(globals.url, globals.token ?? env('HOTQ_API_TOKEN')), json);
    code = await fn(ctx, command);
  };

  const program = new Command()
    .name('hotq')
    .description('Submit, follow and manage hotq jobs through the HTTP API (no Redis access needed).')
    .version(VERSION)
    .addOption(new Option('--url <url>', 'the hotq API').env('HOTQ_URL').default('http://127.0.0.1:3000'))
    .addOption(new Option('--token <token>', 'API token (prefer HOTQ_API_TOKEN: a flag is visible to other users in ps)'))
    .option('--json', 'machine-readable JSON on stdout')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nExit codes: 0 success, 1 the job or the action failed, 2 usage error.\nEnvironment: HOTQ_URL (default http://127.0.0.1:3000), HOTQ_API_TOKEN.');

  program.command('submit').argument('<type>', 'job type, e.g. wordcount')
    .description('submit a job; prints its id (with --wait: follows it and prints its result)')
    .option('--params <json>', 'params: JSON text, @file, or - for standard input')
    .option('--wait', 'follow the job until it ends; exit 1 unless it succeeded')
    .addOption(new Option('--delay <ms>', 'run no sooner than this many ms from now').argParser(integer(0, 365 * 86_400_000)))
    .addOption(new Option('--max-attempts <n>', 'attempts before it fails for good').argParser(integer(1, 100)))
    .addOption(new Option('--timeout <ms>', 'abort an attempt after this many ms').argParser(integer(1, 86_400_000)))
    .option('--key <idempotencyKey>', 'idempotency key: the same key again answers the first job')
    .addOption(new Option('--priority <n>', 'higher runs first, -100 to 100 (default 0)').argParser(signedInteger(-100, 100)))
    .option('--tag <tag>', 'a tag (repeat for up to 8): hotq ls --tag finds the job by it', (tag: string, tags: string[] = []) => [...tags, tag])
    .option('--partition-key <key>', 'on a partitioned queue: the jobs of one key go to one partition, in order')
    .option('--depends-on <id>', 'a job that must end first (repeat for several); until then it is waiting', (id: string, ids: string[] = []) => [...ids, id])
    .addOption(new Option('--on-dependency-failure <what>', 'when a dependency fails or is cancelled: fail this job too, or run it anyway').choices(['fail', 'run']))
    .action(run((ctx, command) => jobs.submit(ctx, command.args[0] as string, command.opts())));

  program.command('get').argument('<id>').description('show one job')
    .action(run((ctx, command) => jobs.get(ctx, command.args[0] as string)));

  program.command('result').argument('<id>').description("print a job's result (exit 1 when it has none)")
    .action(run((ctx, command) => jobs.result(ctx, command.args[0] as string)));

  program.command('ls').description('list jobs, newest first')
    // The API checks the status against its own list (400 naming them, exit 2), so the command follows it.
    .option('--status <status>', 'only jobs in this status (queued, running, succeeded, failed, ...; hotq stats counts them all)')
    .option('--type <type>', 'only this job type')
    .option('--tag <tag>', 'only jobs with this tag')
    .addOption(new Option('--created-after <time>', 'only jobs created at or after this time (ISO-8601)').argParser(isoTime))
    .addOption(new Option('--created-before <time>', 'only jobs created before this time (ISO-8601)').argParser(isoTime))
    .addOption(new Option('--limit <n>', 'jobs per page').argParser(integer(1, 1000)))
    .option('--cursor <cursor>', 'the next page, as the previous page told')
    .action(run((ctx, command) => jobs.ls(ctx, command.opts())));

  program.command('watch').argument('<id>').description('follow a job live until it ends; exit 1 unless it succeeded')
    .action(run((ctx, command) => watch(ctx, command.args[0] as string)));

  program.command('stats').description('counts, queue depths, workers and rates')
    .option('--watch', `show them again every ${queue.STATS_WATCH_MS / 1000} s until interrupted`)
    .option('--partitions', 'also each partition of a partitioned queue: its jobs by status and its queue depths')
    .action(run((ctx, command) => queue.stats(ctx, command.opts())));

  program.command('workers').description('live workers and what they run')
    .action(run((ctx) => queue.workers(ctx)));

  program.command('cancel').argument('<id>').description('cancel a job (a running one is asked to stop)')
    .action(run((ctx, command) => jobs.cancel(ctx, command.args[0] as string)));

  program.command('retry').argument('[id]').description('queue a failed or cancelled job again, or with --failed all failed jobs matching the filters')
    .option('--failed', 'every failed job matching --type/--tag/--created-before (needs the operator routes)')
    .option('--type <type>').option('--tag <tag>')
    .addOption(new Option('--created-before <time>', 'ISO-8601').argParser(isoTime))
    .option('--dry-run', 'only count what would be retried')
    .action(run((ctx, command) => jobs.retry(ctx, command.args[0], command.opts())));

  program.command('delete').description('delete finished jobs matching the filters (needs the operator routes)')
    .option('--finished', 'required: only finished jobs are ever deleted')
    .addOption(new Option('--status <status>').choices(['succeeded', 'failed', 'cancelled']))
    .option('--type <type>').option('--tag <tag>')
    .addOption(new Option('--finished-before <time>', 'ISO-8601').argParser(isoTime))
    .addOption(new Option('--created-before <time>', 'ISO-8601').argParser(isoTime))
    .option('--dry-run', 'only count what would be deleted')
    .action(run((ctx, command) => jobs.deleteFinished(ctx, command.opts())));

  program.command('pause').description('workers take nothing new; running jobs finish (needs the operator routes)')
    .action(run((ctx) => queue.setPaused(ctx, true)));
  program.command('resume').description('workers take jobs again (needs the operator routes)')
    .action(run((ctx) => queue.setPaused(ctx, false)));

  const limitsCommand = program.command('limits').description('rate limits and concurrency limits in force (set: hotq limits set, remove: hotq limits rm)')
    .action(run((ctx) => limits.list(ctx)));
  limitsCommand.command('set').argument('<scope>', 'queue, type:NAME or tag:NAME')
    .description('set (replace) the limit of a scope; every worker applies it at once')
    .addOption(new Option('--rate <count/window>', 'at most COUNT starts in any WINDOW, e.g. 50/1s, 600/1m, 10/250ms').argParser(limits.parseRate))
    .addOption(new Option('--concurrency <n>', 'at most N running at once across every worker').argParser(integer(1, 100_000)))
    .action(run((ctx, command) => limits.set(ctx, command.args[0] as string, command.opts())));
  limitsCommand.command('rm').argument('<scope>', 'queue, type:NAME or tag:NAME').description('remove the limit of a scope')
    .action(run((ctx, command) => limits.remove(ctx, command.args[0] as string)));

  const schedulesCommand = program.command('schedules').description('repeating jobs: list them with their next due times (also: ls, get, set, pause, resume, run, rm)')
    // Declared so that a mistyped subcommand gets a sentence naming the real ones, not "too many arguments".
    .argument('[command...]').usage('[ls | get | set | pause | resume | run | rm] [options]')
    .action(run((ctx, command) => {
      if (command.args[0] !== undefined) throw usage(`hotq schedules has no command "${command.args[0]}"; use ls, get, set, pause, resume, run or rm (hotq schedules --help)`);
      return schedules.list(ctx);
    }));
  schedulesCommand.command('ls').description('list the schedules, with their next due times and state')
    .action(run((ctx) => schedules.list(ctx)));
  schedulesCommand.command('get').argument('<id>').description('show one schedule')
    .action(run((ctx, command) => schedules.get(ctx, command.args[0] as string)));
  schedulesCommand.command('set').argument('<id>', 'the schedule id: letters, digits, ".", "_", "-"').argument('<type>', 'the job type of each occurrence')
    .description('create or replace a schedule: exactly one of --every and --cron (the same definition again changes nothing)')
    .addOption(new Option('--every <span>', 'a fixed interval, at least 1s: 30s, 5m, 1h, 1d (no unit: ms)').argParser(schedules.parseEvery))
    .option('--cron <expr>', 'a cron expression: 5 fields (minute hour day month weekday), or 6 with seconds first')
    .option('--tz <zone>', 'the IANA time zone of --cron, e.g. Europe/Berlin (default UTC)')
    .option('--params <json>', 'params of each job: JSON text, @file, or - for standard input')
    .addOption(new Option('--max-attempts <n>', 'attempts of each job before it fails for good').argParser(integer(1, 100)))
    .addOption(new Option('--timeout <ms>', 'abort an attempt after this many ms').argParser(integer(1, 86_400_000)))
    .addOption(new Option('--priority <n>', 'higher runs first, -100 to 100 (default 0)').argParser(signedInteger(-100, 100)))
    .addOption(new Option('--start-at <time>', 'no occurrence before this (ISO-8601); an interval counts from it').argParser(isoTime))
    .addOption(new Option('--end-at <time>', 'no occurrence after this (ISO-8601)').argParser(isoTime))
    .addOption(new Option('--limit <n>', 'at most this many occurrences in all').argParser(integer(1, 1_000_000_000)))
    .addOption(new Option('--misfire <policy>', 'after downtime: skip, one (default: the latest), or N (up to N of the missed ones)').argParser(schedules.parseMisfire))
    .addOption(new Option('--overlap <policy>', 'while the last occurrence has not ended: skip (default) or allow').choices(['skip', 'allow']))
    .action(run((ctx, command) => schedules.set(ctx, command.args[0] as string, command.args[1] as string, command.opts())));
  schedulesCommand.command('pause').argument('<id>').description('no occurrence until it is resumed (jobs it made are not touched)')
    .action(run((ctx, command) => schedules.setPaused(ctx, command.args[0] as string, true)));
  schedulesCommand.command('resume').argument('<id>').description('go on from its next due time after now (missed times are not made up)')
    .action(run((ctx, command) => schedules.setPaused(ctx, command.args[0] as string, false)));
  schedulesCommand.command('run').argument('<id>').description('make one occurrence now, whatever its times, pause or limit; prints the job id')
    .option('--wait', 'follow the job until it ends; exit 1 unless it succeeded')
    .action(run((ctx, command) => schedules.run(ctx, command.args[0] as string, command.opts())));
  schedulesCommand.command('rm').argument('<id>').description('delete a schedule (the jobs it made stay)')
    .action(run((ctx, command) => schedules.remove(ctx, command.args[0] as string)));

  try {
    await program.parseAsync(args, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not errors; everything else commander refuses is usage.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      if (json) process.stderr.write(`${JSON.stringify({ error: { code: error.code ?? 'error', message: error.message } })}\n`);
      else process.stderr.write(`hotq: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`hotq: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.failed;
  }
}
