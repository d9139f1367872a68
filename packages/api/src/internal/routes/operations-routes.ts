import type { BulkFilter } from '@hotq/jobs-store';
import type * as z from 'zod';
import type { AppContext } from '../context.js';
import type { BulkBody as BulkBodySchema } from '../operator-schemas.js';
import { createRedisCall } from '../redis-call.js';
import * as op from '../operator-operations.js';
import { route, type Route } from '../route.js';

type BulkBody = z.output<typeof BulkBodySchema>;

/**
 * How long a bulk action may take before its request is answered 503. Each of its steps is short and
 * bounded; a whole action over a large queue is many steps (100,000 jobs took 4 to 13 s on a busy 2-core machine).
 */
const BULK_TIMEOUT_MS = 10 * 60_000;

/** The routes for operators: bulk retry, cancel and delete; POST /queue/pause and /queue/resume. */
export function operatorRoutes(ctx: AppContext): Route[] {
  const { queue, redisCall, writer } = ctx;
  const bulkCall = createRedisCall(BULK_TIMEOUT_MS);
  const split = (body: BulkBody): [BulkFilter, { dryRun: boolean }] => {
    const { dryRun = false, ...filter } = body;
    return [filter, { dryRun }];
  };

  return [
    // Round trips: 3 per step of 100 jobs (walk, read the records, one put of their retries).
    route(op.retryJobs, async ({ body }, _req, res) => {
      res.json(await bulkCall(writer.retryJobs(queue, ...split(body)), 'retry jobs'));
    }),

    // Round trips: 2 per step of 100 jobs (walk, one remove per job, pipelined).
    route(op.cancelJobs, async ({ body }, _req, res) => {
      res.json(await bulkCall(writer.cancelJobs(queue, ...split(body)), 'cancel jobs'));
    }),

    // Round trips: 1 per step of 100 jobs (the walk deletes as it goes).
    route(op.deleteJobs, async ({ body }, _req, res) => {
      res.json(await bulkCall(writer.deleteJobs(...split(body)), 'delete jobs'));
    }),

    // One round trip: the queue's pause flag, which every reserve looks at.
    route(op.pauseQueue, async (_input, _req, res) => {
      await redisCall(queue.pause(), 'pause queue');
      res.json({ paused: true });
    }),

    // One round trip for the flag, one to wake idle workers.
    route(op.resumeQueue, async (_input, _req, res) => {
      await redisCall(queue.resume(), 'resume queue');
      res.json({ paused: false });
    }),
  ];
}
