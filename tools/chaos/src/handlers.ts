// Handlers for the chaos run, loaded by hotq-worker with --handlers. Each kind stresses one path:
// quick (throughput), slow (killed mid-job), flaky (fails on its first attempt), doomed (always fails).
interface Ctx { signal: AbortSignal; attempt: number }

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    }, { once: true });
  });

export default {
  quick: async (job: { params: { n: number } }) => ({ n: job.params.n }),
  slow: async (job: { params: { ms: number } }, ctx: Ctx) => {
    await sleep(job.params.ms, ctx.signal);
    return { slept: job.params.ms };
  },
  flaky: async (_job: unknown, ctx: Ctx) => {
    if (ctx.attempt === 1) throw new Error('first attempt fails on purpose');
    return { attempt: ctx.attempt };
  },
  doomed: async () => {
    throw new Error('this job always fails');
  },
};
