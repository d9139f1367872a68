import type { Job, PreparedSubmission } from '@hotq/jobs-store';
import type { AppContext } from '../context.js';
import { announceCreated, jobBody, submittedJob } from '../context.js';
import { ApiError, dependencyRefusal, invalidField } from '../errors.js';
import * as op from '../operations.js';
import { route, sendWriteAnswer, type Route } from '../route.js';

/** POST /jobs/batch: many submissions, validated as a whole, written in one script call. */
export function batchRoutes(ctx: AppContext): Route[] {
  const { store, queue, redisCall, metrics } = ctx;

  return [
    // Round trips: 1 (one put script for every item: all or nothing), + 1 only when some item's
    // idempotency key names a job from before this batch (those are read back, together).
    route(op.submitJobBatch, async ({ body }, _req, res) => {
      // Everything is prepared (and so checked) before anything is sent: a bad item writes nothing.
      const prepared: PreparedSubmission[] = [];
      body.jobs.forEach((item, index) => prepared.push(prepare(ctx, withItemIds(item, index, prepared), index)));
      const puts = await redisCall(queue.putMany(prepared.map((s) => ({ payload: s.payload, ...s.put }))), 'submit jobs').catch((error: unknown) => {
        throw dependencyRefusal(error, (index) => `jobs[${index}].`);
      });

      // Refusals name an existing job: an earlier item of this batch (its key was set by the same
      // script), or a job from before, read back below. `exists` (a resent put) is read back too.
      const ours = new Map(prepared.map((s) => [s.id, s.job]));
      const answers: Array<Job | undefined> = puts.map((put, index) => {
        const job = prepared[index]?.job;
        if (job && submittedJob(job, put.outcome)) return submittedJob(job, put.outcome) ?? undefined;
        return put.outcome === 'refused' ? ours.get(put.refusal ?? '') : undefined;
      });
      const missing = answers.flatMap((job, index) => (job ? [] : [index]));
      if (missing.length > 0) {
        const ids = missing.map((index) => (puts[index]?.outcome === 'refused' ? puts[index]?.refusal ?? '' : prepared[index]?.id ?? ''));
        const found = await redisCall(Promise.all(ids.map(async (id) => await store.get(id))), 'read jobs');
        missing.forEach((index, at) => {
          const job = found[at];
          if (!job) {
            throw new ApiError('conflict', `jobs[${index}].idempotencyKey: names a job that no longer exists; use a new key`, { index });
          }
          answers[index] = job;
        });
      }
      for (const [index, put] of puts.entries()) {
        if (put.outcome !== 'refused' && put.outcome !== 'exists') metrics.jobSubmitted(prepared[index]?.job.type ?? '');
      }
      sendWriteAnswer(res, 201, { jobs: answers.map((job) => jobBody(job as Job)) });
      announceCreated(ctx, puts.flatMap((put, index) => (put.outcome !== 'refused' && put.outcome !== 'exists' ? [answers[index] as Job] : [])));
    }),
  ];
}

type Item = Omit<Parameters<AppContext['store']['prepareSubmission']>[0], 'dependsOn'> & { dependsOn?: Array<string | number> };

/** Item `index` with the earlier items it names by index (in dependsOn) named by their new job ids. */
function withItemIds(item: Item, index: number, prepared: readonly PreparedSubmission[]): Parameters<AppContext['store']['prepareSubmission']>[0] {
  const { dependsOn: named, ...rest } = item;
  if (!named) return rest;
  const dependsOn = named.map((dep, at) => {
    if (typeof dep === 'string') return dep;
    if (dep >= index) {
      throw invalidField(`jobs[${index}].dependsOn[${at}]`, `must be the index of an earlier item (0 to ${index - 1}): an item cannot depend on itself or a later one`);
    }
    return (prepared[dep] as PreparedSubmission).id;
  });
  return { ...rest, dependsOn };
}

/** jobs-store's own checks (params size and depth), with the item's index in the field name. */
function prepare(ctx: AppContext, item: Parameters<AppContext['store']['prepareSubmission']>[0], index: number): PreparedSubmission {
  try {
    return ctx.store.prepareSubmission(item);
  } catch (error) {
    const { code, field, message } = error as { code?: unknown; field?: unknown; message?: unknown };
    if (code === 'invalid_request' && typeof field === 'string' && typeof message === 'string') {
      throw invalidField(`jobs[${index}].${field}`, message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message);
    }
    throw error;
  }
}
