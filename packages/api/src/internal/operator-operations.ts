// The routes for operators as data (see operations.ts): deleting, retrying and cancelling jobs in
// bulk by a filter, and pausing the queue.
import * as ops from './operator-schemas.js';
import { define, errors, json } from './operation-kit.js';
import * as s from './schemas.js';

export const pauseQueue = define({
  operationId: 'pauseQueue',
  method: 'post',
  path: '/queue/pause',
  summary: 'Pause the queue: workers take nothing new',
  description: 'Jobs already running finish; submissions are still accepted and wait. Pausing a paused queue changes nothing. Takes no body (an empty JSON object is accepted).',
  query: s.NoQuery,
  responses: {
    200: json(ops.PauseState, 'Paused.'),
    400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 503: errors[503],
  },
});

export const resumeQueue = define({
  operationId: 'resumeQueue',
  method: 'post',
  path: '/queue/resume',
  summary: 'Resume the queue: workers take jobs again',
  description: 'Idle workers are woken at once. Resuming a queue that is not paused changes nothing. Takes no body (an empty JSON object is accepted).',
  query: s.NoQuery,
  responses: {
    200: json(ops.PauseState, 'Resumed.'),
    400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 503: errors[503],
  },
});

const BULK_NOTE = 'Runs in bounded steps (100 jobs per Redis call, oldest first, with a pause between calls), so Redis stays responsive; the answer comes when every step is done. '
  + 'Safe to resend: a job already changed no longer fits, or is skipped. A 503 midway leaves the steps done so far applied: send it again.';

const bulkResponses = {
  200: json(ops.BulkResult, 'Done (or, with dryRun, counted).'),
  400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 503: errors[503],
};

export const retryJobs = define({
  operationId: 'retryJobs',
  method: 'post',
  path: '/jobs/retry',
  summary: 'Queue again every failed or cancelled job that fits a filter',
  description: `Attempts start over, as POST /jobs/{id}/retry. Jobs in other statuses are skipped. Once the queue holds its maximum of waiting jobs, the rest is skipped as queue_full. ${BULK_NOTE}`,
  query: s.NoQuery,
  body: ops.BulkBody,
  responses: bulkResponses,
});

export const cancelJobs = define({
  operationId: 'cancelJobs',
  method: 'post',
  path: '/jobs/cancel',
  summary: 'Cancel every queued, delayed or running job that fits a filter',
  description: `Queued and delayed jobs are cancelled at once; running ones are asked to stop, as DELETE /jobs/{id} does (they count as changed). Finished jobs are skipped. ${BULK_NOTE}`,
  query: s.NoQuery,
  body: ops.BulkBody,
  responses: bulkResponses,
});

export const deleteJobs = define({
  operationId: 'deleteJobs',
  method: 'post',
  path: '/jobs/delete',
  summary: 'Delete every finished job that fits a filter',
  description: `Only finished jobs (succeeded, failed, cancelled) are deleted, with their params, results and index entries; queued, delayed and running jobs are skipped, never deleted. ${BULK_NOTE}`,
  query: s.NoQuery,
  body: ops.BulkBody,
  responses: bulkResponses,
});

/** The operators' routes, in the order of the HTTP reference. */
export const OPERATOR_OPERATIONS = [retryJobs, cancelJobs, deleteJobs, pauseQueue, resumeQueue] as const;
