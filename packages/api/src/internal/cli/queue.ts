// The queue commands: stats (once, or every 10 s), workers, pause, resume.
import { CliError, EXIT } from './client.js';
import type { Context } from './context.js';
import { age, plainRows, table } from './format.js';

/** The shape of GET /stats that the command shows. */
interface Stats {
  counts: Record<string, number>;
  queue: Record<string, number>;
  workers: number;
  paused?: boolean;
  throughput: { windowSeconds: number; submittedPerMinute: number; completedPerMinute: number; deadPerMinute: number };
  partitionCount?: number;
  partitions?: PartitionView[];
}

/** One partition of GET /stats?partitions=true. */
interface PartitionView {
  partition: number;
  keyBase: string;
  counts: Record<string, number>;
  queue: Record<string, number>;
}

interface WorkerView {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  running: string[];
  lastBeatAt: string;
}

/** stats --watch re-reads at most this often: the ceiling for any polling loop. */
export const STATS_WATCH_MS = 10_000;

const rate = (value: number): string => `${value}/min`;

function render(ctx: Context, stats: Stats): string {
  const pairs = (record: Record<string, number>): string => Object.entries(record).map(([name, value]) => `${name} ${value}`).join('  ');
  const { throughput: t } = stats;
  if (!ctx.tty) {
    // Plain lines: "section.name value", one per line, for grep and awk.
    const rows: string[][] = [];
    for (const [name, value] of Object.entries(stats.counts)) rows.push([`counts.${name}`, String(value)]);
    for (const [name, value] of Object.entries(stats.queue)) rows.push([`queue.${name}`, String(value)]);
    rows.push(['workers', String(stats.workers)]);
    if (stats.paused !== undefined) rows.push(['paused', String(stats.paused)]);
    rows.push(['submittedPerMinute', String(t.submittedPerMinute)], ['completedPerMinute', String(t.completedPerMinute)], ['deadPerMinute', String(t.deadPerMinute)]);
    if ((stats.partitionCount ?? 1) > 1) rows.push(['partitions', String(stats.partitionCount)]);
    for (const p of stats.partitions ?? []) {
      for (const [name, value] of Object.entries(p.counts)) rows.push([`partition.${p.partition}.counts.${name}`, String(value)]);
      for (const [name, value] of Object.entries(p.queue)) rows.push([`partition.${p.partition}.queue.${name}`, String(value)]);
    }
    return plainRows(rows).replaceAll('\t', ' ');
  }
  const rows = [
    ['jobs', pairs(stats.counts)],
    ['queue', pairs(stats.queue) + (stats.paused ? '  (paused)' : '')],
    ['workers', String(stats.workers)],
    ['rates', `submitted ${rate(t.submittedPerMinute)}  completed ${rate(t.completedPerMinute)}  failed ${rate(t.deadPerMinute)}  (over the last ${t.windowSeconds} s)`],
  ];
  if ((stats.partitionCount ?? 1) > 1) rows.push(['partitions', String(stats.partitionCount)]);
  const overview = table(['', ''], rows).split('\n').slice(1).join('\n');
  if (!stats.partitions) return overview;
  const columns = ['ready', 'delayed', 'leased', 'dead', 'queued', 'running', 'succeeded', 'failed'];
  const byPartition = table(['PARTITION', ...columns.map((name) => name.toUpperCase())], stats.partitions.map((p) => [
    String(p.partition), ...columns.map((name) => String(p.queue[name] ?? p.counts[name] ?? 0)),
  ]));
  return `${overview}\n${byPartition}`;
}

/** `hotq stats [--watch] [--partitions]`. */
export async function stats(ctx: Context, options: { watch?: boolean; partitions?: boolean }): Promise<number> {
  const read = (): Promise<Stats> => ctx.client.json<Stats>('GET', options.partitions ? '/stats?partitions=true' : '/stats');
  if (!options.watch) {
    const value = await read();
    if (ctx.json) ctx.printJson(value);
    else ctx.out(render(ctx, value));
    return EXIT.ok;
  }
  // Until interrupted: one read every 10 s. An outage is reported and retried; a token problem ends it.
  for (;;) {
    try {
      const value = await read();
      if (ctx.json) ctx.out(`${JSON.stringify(value)}\n`);
      else if (ctx.tty) ctx.out(`\x1b[H\x1b[2J${render(ctx, value)}\nupdated ${new Date().toLocaleTimeString()}; every ${STATS_WATCH_MS / 1000} s (Ctrl-C to stop)\n`);
      else ctx.out(`${render(ctx, value)}\n`);
    } catch (error) {
      if (!(error instanceof CliError) || error.code === 'unauthorized' || error.code === 'forbidden' || error.exitCode === EXIT.usage) throw error;
      ctx.err(`${error.message} (trying again in ${STATS_WATCH_MS / 1000} s)\n`);
    }
    await new Promise((resolve) => setTimeout(resolve, STATS_WATCH_MS));
  }
}

/** `hotq workers`. */
export async function workers(ctx: Context): Promise<number> {
  const { workers: list } = await ctx.client.json<{ workers: WorkerView[] }>('GET', '/workers');
  if (ctx.json) ctx.printJson({ workers: list });
  else if (ctx.tty) {
    ctx.out(list.length === 0
      ? 'no live workers (start one: npx hotq-worker)\n'
      : table(['ID', 'HOST', 'PID', 'RUNNING', 'LAST BEAT'], list.map((w) => [w.id, w.host, String(w.pid), `${w.running.length}/${w.concurrency}`, age(w.lastBeatAt)])));
  } else ctx.out(plainRows(list.map((w) => [w.id, w.host, String(w.pid), String(w.running.length), String(w.concurrency), w.lastBeatAt])));
  return EXIT.ok;
}

/** `hotq pause` / `hotq resume` (POST /queue/pause|resume, routes of the operator API). */
export async function setPaused(ctx: Context, pause: boolean): Promise<number> {
  const word = pause ? 'pause' : 'resume';
  const answer = await ctx.client.json<{ paused: boolean }>('POST', `/queue/${word}`, { subject: { feature: `hotq ${word}` } });
  if (ctx.json) ctx.printJson(answer);
  else ctx.out(answer.paused ? 'queue paused: workers take nothing new; running jobs finish\n' : 'queue resumed: workers take jobs again\n');
  return EXIT.ok;
}
