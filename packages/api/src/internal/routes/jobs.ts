import type { Job } from '@hotq/jobs-store';
import type { AppContext } from '../context.js';
import { announceCreated, jobBody, submittedJob } from '../context.js';
import { ApiError, dependencyRefusal } from '../errors.js';
import * as op from '../operations.js';
import { redisUnavailableAs503 } from '../redis-call.js';
import { route, sendWriteAnswer, type Route } from '../route.js';

/** POST /jobs, GET /jobs, GET /jobs/:id, GET /jobs/:id/result, DELETE /jobs/:id, POST /jobs/:id/retry. */
export function jobRoutes(ctx: AppContext): Route[] {
  const { store, queue, redisCall, metrics } = ctx;

  const find = async (id: string): Promise<Job | null> => await redisCall(store.get(id), 'read job');
  const mustFind = async (id: string): Promise<Job> => {
    const job = await find(id);
    if (!job) throw new ApiError('not_found', `no job ${id}`);
    return job;
  };
  const conflict = (job: Job, message: string): ApiError =>
    new ApiError('conflict', message, { status: job.status, ...(job.error ? { error: job.error } : {}) });

  return [
    // Round trips: 1 (put script: idempotency guard, record, indexes, event and queue entry together);
    // the answer is the job as the submission wrote it. A resent put that finds its job is read back.
    route(op.submitJob, async ({ body }, _req, res) => {
      const submission = store.prepareSubmission(body);
      // The queue bounds the put by the app's command timeout itself.
      const put = await queue.put(submission.payload, submission.put).catch((error: unknown) => {
        throw dependencyRefusal(redisUnavailableAs503(error, 'submit job'), () => '');
      });
      if (put.outcome === 'refused') {
        // The idempotency key names an earlier job: answer with it; nothing was written.
        const first = await find(put.refusal ?? '');
        if (!first) throw new ApiError('conflict', 'idempotencyKey: names a job that no longer exists; use a new key');
        res.status(200).json(jobBody(first));
        return;
      }
      const job = submittedJob(submission.job, put.outcome) ?? await find(submission.id);
      if (!job) throw new Error(`job ${submission.id} was queued (${put.outcome}) but its record cannot be read`);
      if (put.outcome !== 'exists') metrics.jobSubmitted(job.type);
      sendWriteAnswer(res, 201, jobBody(job), `/jobs/${job.id}`);
      if (put.outcome !== 'exists') announceCreated(ctx, [job]);
    }),

    route(op.listJobs, async ({ query }, _req, res) => {
      const page = await redisCall(
        store.list({
          limit: query.limit ?? 50,
          ...(query.status ? { status: query.status } : {}),
          ...(query.type ? { type: query.type } : {}),
          ...(query.tag ? { tag: query.tag } : {}),
          ...(query.createdAfter ? { createdAfter: query.createdAfter } : {}),
          ...(query.createdBefore ? { createdBefore: query.createdBefore } : {}),
          ...(query.cursor ? { cursor: query.cursor } : {}),
        }),
        'list jobs',
      );
      res.json({ jobs: page.jobs.map(jobBody), nextCursor: page.nextCursor });
    }),

    route(op.getJob, async ({ params }, _req, res) => {
      res.json(jobBody(await mustFind(params.id)));
    }),

    route(op.getJobResult, async ({ params }, _req, res) => {
      const job = await mustFind(params.id);
      if (job.status !== 'succeeded') throw conflict(job, `job ${job.id} has no result: its status is ${job.status}`);
      const result = await redisCall(store.getResult(job.id), 'read result');
      if (!result) throw new ApiError('not_found', `the result of job ${job.id} is gone (expired)`);
      if (result.kind === 'json') {
        res.type('application/json').send(JSON.stringify(result.value) ?? 'null');
        return;
      }
      // Bytes come with the type their handler chose; never let a browser run them on our origin.
      res.set({
        'Content-Type': result.contentType,
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Content-Disposition': 'inline',
      });
      res.send(result.data);
    }),

    // Round trips: 1 (remove script: queue entry and record together) + 1 (read the job); a finished
    // job: 1 (the remove script finds its message ended) + 1 (delete script).
    route(op.cancelJob, async ({ params }, _req, res) => {
      const removal = await redisCall(queue.remove(params.id, { hook: 'cancelJob' }), 'cancel job');
      if (removal.outcome === 'removed' || removal.outcome === 'cancel-requested') {
        const job = await mustFind(params.id);
        const removed = removal.outcome === 'removed';
        metrics.jobCancelled(job.type, removed ? 'cancelled' : 'cancel_requested');
        res.status(removed ? 200 : 202).json(jobBody(job));
        return;
      }
      // Its message has ended (or was never there): a finished job is deleted for good; the delete
      // script refuses, with its status, a job that is not finished (409).
      if (!(await redisCall(ctx.writer.delete(params.id), 'delete job'))) throw new ApiError('not_found', `no job ${params.id}`);
      res.status(200).json({ id: params.id, deleted: true });
    }),

    // Round trips: 1 (read the record to rebuild its message) + 1 (put with the retryJob hook) + 1 (read it back).
    route(op.retryJob, async ({ params }, _req, res) => {
      const retry = await redisCall(store.prepareRetry(params.id), 'prepare retry');
      if (!retry) throw new ApiError('not_found', `no job ${params.id}`);
      const put = await redisCall(queue.put(retry.payload, retry.put), 'retry job');
      const job = await mustFind(params.id);
      if (put.outcome === 'refused' || put.outcome === 'exists') {
        throw conflict(job, `job ${job.id} can be retried only when failed or cancelled; its status is ${job.status}`);
      }
      metrics.jobRetried(job.type);
      res.status(200).json(jobBody(job));
    }),
  ];
}
