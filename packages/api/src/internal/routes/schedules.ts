import type { JobMessage, JobSchedule } from '@hotq/jobs-store';
import type { Schedule } from '@hotq/queue-core';
import type { AppContext } from '../context.js';
import { announceCreated, jobBody } from '../context.js';
import { ApiError } from '../errors.js';
import * as op from '../schedule-operations.js';
import { route, type Route } from '../route.js';

/** PUT, GET and DELETE /schedules/:id, GET /schedules, POST /schedules/:id/pause|resume|run. */
export function scheduleRoutes(ctx: AppContext): Route[] {
  const { store, queue, redisCall } = ctx;

  const found = (id: string, schedule: Schedule<JobMessage> | null): JobSchedule => {
    if (!schedule) throw new ApiError('not_found', `no schedule ${id}`);
    return store.toJobSchedule(schedule);
  };

  return [
    // Round trips: 1 for an interval (2 for cron: Redis's clock, then the write), in one function.
    route(op.putSchedule, async ({ params, body }, _req, res) => {
      const spec = store.prepareSchedule(body);
      const { outcome, schedule } = await redisCall(queue.setSchedule(params.id, spec), 'set schedule');
      if (outcome === 'created') res.status(201).location(`/schedules/${params.id}`);
      res.json(store.toJobSchedule(schedule));
    }),

    // One more than the page is read: whether there is a next page is known without another call.
    route(op.listSchedules, async ({ query }, _req, res) => {
      const limit = query.limit ?? 100;
      const read = await redisCall(queue.listSchedules({ limit: limit + 1, ...(query.cursor ? { after: query.cursor } : {}) }), 'list schedules');
      const page = read.slice(0, limit);
      res.json({ schedules: page.map((schedule) => store.toJobSchedule(schedule)), nextCursor: read.length > limit ? (page.at(-1)?.id ?? null) : null });
    }),

    route(op.getSchedule, async ({ params }, _req, res) => {
      res.json(found(params.id, await redisCall(queue.getSchedule(params.id), 'read schedule')));
    }),

    route(op.pauseSchedule, async ({ params }, _req, res) => {
      res.json(found(params.id, await redisCall(queue.pauseSchedule(params.id), 'pause schedule')));
    }),

    route(op.resumeSchedule, async ({ params }, _req, res) => {
      res.json(found(params.id, await redisCall(queue.resumeSchedule(params.id), 'resume schedule')));
    }),

    // Round trips: 1 (the occurrence and its record, in one function) + 1 (read the job).
    route(op.runSchedule, async ({ params }, _req, res) => {
      const run = await redisCall(queue.runSchedule(params.id), 'run schedule');
      if (!run) throw new ApiError('not_found', `no schedule ${params.id}`);
      if (run.outcome === 'refused') {
        throw new ApiError('conflict', `the occurrence of schedule ${params.id} due at ${new Date(run.dueAt).toISOString()} already ran; try again`);
      }
      const job = await redisCall(store.get(run.id), 'read job');
      if (!job) throw new Error(`occurrence ${run.id} was made (${run.outcome}) but its record cannot be read`);
      if (run.outcome === 'queued') res.status(201).location(`/jobs/${job.id}`);
      res.json(jobBody(job));
      if (run.outcome === 'queued') announceCreated(ctx, [job]);
    }),

    route(op.deleteSchedule, async ({ params }, _req, res) => {
      if (!(await redisCall(queue.removeSchedule(params.id), 'delete schedule'))) throw new ApiError('not_found', `no schedule ${params.id}`);
      res.json({ id: params.id, deleted: true });
    }),
  ];
}
