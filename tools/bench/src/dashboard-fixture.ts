/*
 * A queue of N finished jobs, made the way real ones are: each job submitted (JobsStore's
 * prepareSubmission, TaskQueue.putMany, the put hook writing its record and indexes), taken
 * (TaskQueue.reserve, the reserve hook marking it running) and finished (acknowledged with a result
 * in the next reserve call, or dead-lettered and failed with nack), in batches. So every key is what
 * the library writes, in the real layout: no shortcut that could flatter the dashboard's reads.
 */
import { JobsStore, type JobMessage } from '@hotq/jobs-store';
import { TaskQueue, type AckRequest, type ReservedMessage } from '@hotq/queue-core';
import type { Redis } from 'ioredis';

export interface FixtureOptions {
  prefix: string;
  queue: string;
  /** Finished jobs to make. */
  jobs: number;
  /** Jobs per put and per reserve call. */
  batch: number;
  /** One job in this many fails (the rest succeed). */
  failEvery: number;
  /** Progress lines. */
  log(text: string): void;
}

/** The job types of the fixture, taken in turn: the jobs list walks one index per type. */
export const FIXTURE_TYPES = ['email', 'render', 'report', 'thumbnail', 'wordcount'] as const;

export interface Fixture {
  jobs: number;
  succeeded: number;
  failed: number;
  seconds: number;
}

/** Makes `options.jobs` finished jobs on `redis` (its own database or server: nothing else is touched). */
export async function buildFinishedJobs(redis: Redis, options: FixtureOptions): Promise<Fixture> {
  const { prefix, queue: name, jobs, batch, failEvery, log } = options;
  const store = new JobsStore({ redis, prefix, queue: name });
  const queue = new TaskQueue<JobMessage>({ redis, name, prefix, hooks: store.queueHooks() });
  const succeededVars = store.completion({ ok: true, bytes: 1_024 }).vars;
  const failedVars = store.failure({ message: 'fixture: failed on purpose', code: 'fixture' }).vars;
  const started = Date.now();
  let made = 0;
  let failed = 0;
  let acks: AckRequest[] = [];
  try {
    while (made < jobs) {
      const size = Math.min(batch, jobs - made);
      const submissions = Array.from({ length: size }, (_, i) => store.prepareSubmission({
        type: FIXTURE_TYPES[(made + i) % FIXTURE_TYPES.length] as string,
        params: { n: made + i, text: 'a fixture job with a params object of about a hundred bytes, as most are.' },
      }));
      await queue.putMany(submissions.map((s) => ({ payload: s.payload, ...s.put })));
      // Take this batch, acknowledging the one before in the same call (as a busy worker does).
      const { messages } = await queue.reserve({ count: size, consumer: 'fixture', leaseMs: 600_000, acks });
      if (messages.length !== size) throw new Error(`reserved ${messages.length} of ${size} jobs just put`);
      acks = [];
      const failing: ReservedMessage<JobMessage>[] = [];
      for (const [i, message] of messages.entries()) {
        if ((made + i) % failEvery === failEvery - 1) failing.push(message);
        else acks.push({ lease: message, vars: succeededVars });
      }
      await Promise.all(failing.map(async (message) => await queue.nack(message, { dead: true, reason: 'fixture', vars: failedVars })));
      failed += failing.length;
      made += size;
      if (made % (batch * 100) === 0 || made === jobs) log(`fixture: ${made.toLocaleString('en')} of ${jobs.toLocaleString('en')} jobs (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    if (acks.length > 0) await queue.reserve({ count: 0, consumer: 'fixture', acks });
    const counts = await store.counts();
    if (counts.succeeded !== jobs - failed || counts.failed !== failed) {
      throw new Error(`the fixture counts ${JSON.stringify(counts)}, not ${jobs - failed} succeeded and ${failed} failed`);
    }
    return { jobs, succeeded: counts.succeeded, failed: counts.failed, seconds: (Date.now() - started) / 1000 };
  } finally {
    await queue.close();
  }
}
