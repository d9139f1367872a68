// Handlers for the chaos run, loaded by hotq-worker with --handlers. Each kind stresses one path:
// quick (throughput), slow (killed mid-job, cancelled while running), flaky (fails on its first
// attempt), doomed (always fails). Every result carries the attempt that produced it, so the checker
// can tell that the committed result is the last attempt's (a late completion of an earlier attempt
// must be refused). Every start is appended to the file named by CHAOS_RUNLOG ("<id> <attempt> <pid>
// <type> <ms>"), which counts how often handlers really ran (more than once per job when a worker died
// mid-job) and when.
import { appendFileSync } from 'node:fs';

interface Job { id: string; type: string; params: Record<string, unknown> }
interface Ctx { signal: AbortSignal; attempt: number }

const runLog = process.env.CHAOS_RUNLOG;

function started(job: Job, ctx: Ctx): void {
  // One short write with O_APPEND: lines from concurrent processes do not interleave.
  if (runLog) appendFileSync(runLog, `${job.id} ${ctx.attempt} ${process.pid} ${job.type} ${Date.now()}\n`);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });

export default {
  quick: async (job: Job, ctx: Ctx) => {
    started(job, ctx);
    return { n: job.params.n, attempt: ctx.attempt };
  },
  slow: async (job: Job, ctx: Ctx) => {
    started(job, ctx);
    await sleep(job.params.ms as number, ctx.signal);
    return { slept: job.params.ms, attempt: ctx.attempt };
  },
  flaky: async (job: Job, ctx: Ctx) => {
    started(job, ctx);
    if (ctx.attempt === 1) throw new Error('first attempt fails on purpose');
    return { attempt: ctx.attempt };
  },
  doomed: async (job: Job, ctx: Ctx) => {
    started(job, ctx);
    throw new Error('this job always fails');
  },
};
