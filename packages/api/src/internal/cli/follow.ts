// Following one job to its end over GET /jobs/:id/events: `hotq watch` and `hotq submit --wait`.
import { CliError, EXIT } from './client.js';
import type { Context } from './context.js';
import { outcome, progressBar, progressText, TERMINAL, type JobView } from './format.js';
import { readEvents } from './sse.js';

/** How the updates are shown while following. */
export type FollowDisplay = 'bar' | 'lines' | 'quiet';

const RECONNECTS = 5;

/**
 * Follows a job until it ends and answers its final state. The stream's first event is the job as it
 * is now, so nothing between submitting and subscribing is missed. A stream cut before the end is
 * reopened (the job is re-read first, in case it ended meanwhile), up to a few times in a row.
 */
export async function follow(ctx: Context, id: string, display: FollowDisplay): Promise<JobView> {
  let job: JobView | undefined;
  let lastLine = '';
  const show = (): void => {
    if (!job || display === 'quiet') return;
    if (display === 'bar') {
      // Redraw one line in place: carriage return, clear the line.
      ctx.out(`\r\x1b[2K${job.id} ${job.status.padEnd(9)} ${progressBar(job.progress)}`);
      return;
    }
    const line = `${job.id} ${job.status}${job.progress === null ? '' : ` ${progressText(job.progress)}`}`;
    if (line !== lastLine) ctx.out(`${line}\n`);
    lastLine = line;
  };

  let failures = 0;
  for (;;) {
    const response = await ctx.client.open('GET', `/jobs/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, subject: { job: id } });
    if (response.status === 204 || !response.body) {
      // Reconnected after the end: nothing more will come; read the final state.
      break;
    }
    try {
      for await (const event of readEvents(response.body)) {
        failures = 0;
        if (event.event === 'status') job = JSON.parse(event.data) as JobView;
        else if (event.event === 'progress' && job) job = { ...job, progress: (JSON.parse(event.data) as Pick<JobView, 'progress'>).progress };
        show();
        if (job && TERMINAL.has(job.status)) break;
      }
    } catch {
      // The connection broke mid-stream: fall through to reconnect.
    }
    if (job && TERMINAL.has(job.status)) break;
    failures += 1;
    if (failures > RECONNECTS) throw new CliError(`lost the event stream of job ${id} ${RECONNECTS} times in a row; try again with: hotq watch ${id}`, EXIT.failed, 'stream_lost');
    await new Promise((resolve) => setTimeout(resolve, 500 * failures));
  }
  if (!job || !TERMINAL.has(job.status)) job = await ctx.client.json<JobView>('GET', `/jobs/${encodeURIComponent(id)}`, { subject: { job: id } });
  if (display === 'bar') ctx.out('\n');
  return job;
}

/** The exit code a finished job stands for: 0 when it succeeded, 1 otherwise. */
export function jobExit(job: JobView): number {
  return job.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

/** `hotq watch ID`. */
export async function watch(ctx: Context, id: string): Promise<number> {
  const job = await follow(ctx, id, ctx.json ? 'quiet' : ctx.tty ? 'bar' : 'lines');
  if (ctx.json) ctx.printJson(job);
  else if (ctx.tty || job.status !== 'succeeded') (job.status === 'succeeded' ? ctx.out : ctx.err)(`${outcome(job)}\n`);
  return jobExit(job);
}
