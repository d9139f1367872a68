// The route table of the HTTP API (docs/reference/http.md) as data: method, path, schemas and answers. Routes bind a handler to
// each operation (routes/*.ts) and openapi.ts renders the same objects, so the document lists
// exactly what is served, validated by exactly what it shows.
import * as z from 'zod';
import { define, error, errors, json, unreadable, type Operation } from './operation-kit.js';
import { LIMIT_OPERATIONS } from './limit-operations.js';
import { OPERATOR_OPERATIONS } from './operator-operations.js';
import * as ops from './operator-schemas.js';
import { QueueChanges } from './event-schemas.js';
import * as s from './schemas.js';
import { SCHEDULE_OPERATIONS } from './schedule-operations.js';

export type { Operation } from './operation-kit.js';
export { internalErrorResponse } from './operation-kit.js';

const location = z.string().meta({ description: 'Where the job lives: /jobs/{id}.', example: '/jobs/01JD5Z3V9Q8W7E6R5T4Y3X2H1G' });

export const submitJob = define({
  operationId: 'submitJob',
  method: 'post',
  path: '/jobs',
  summary: 'Submit a job',
  description: 'The record and its queue entry are written together, in one step. With an idempotencyKey already used, nothing is written and the first job is answered with 200.',
  query: s.NoQuery,
  body: s.SubmitBody,
  responses: {
    201: { ...json(s.Job, 'Created.'), headers: z.object({ Location: location }) },
    200: json(s.Job, 'The idempotencyKey names an earlier job: that job, unchanged.'),
    400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 429: errors[429], 503: errors.put503,
  },
});

export const submitJobBatch = define({
  operationId: 'submitJobBatch',
  method: 'post',
  path: '/jobs/batch',
  summary: 'Submit many jobs at once, all or none',
  description:
    `1 to ${s.MAX_BATCH} jobs, each as POST /jobs takes it. The batch is validated as a whole: one bad item is a 400 naming it `
    + '(`jobs[3].type`) and nothing is created. Otherwise every record and queue entry is written in one step, and the jobs '
    + 'are answered in the order sent. An item whose idempotencyKey was already used (earlier, or by an earlier item of the '
    + 'same batch) creates nothing and is answered with that job. On a partitioned queue the items go to their partitions in one '
    + 'step per partition, all or none per partition: should one partition refuse (429) or fail (503) while others were written, '
    + 'the error\'s details list `written` and `failed`, the positions of the items written and not; sending the failed ones again '
    + '(or the whole batch, when its items carry idempotencyKeys) is safe.',
  query: s.NoQuery,
  body: s.BatchBody,
  responses: {
    201: json(s.JobBatch, 'Submitted: the jobs, in order.'),
    409: error('An idempotencyKey names a job that expired while the batch was written (code conflict); details name the item. Resend with a new key.'),
    400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 429: errors[429], 503: errors.put503,
  },
});

export const listJobs = define({
  operationId: 'listJobs',
  method: 'get',
  path: '/jobs',
  summary: 'List jobs, newest first',
  query: s.ListQuery,
  responses: { 200: json(s.JobList, 'A page of jobs.'), 400: errors[400], 401: errors[401], 503: errors[503] },
});

export const getJob = define({
  operationId: 'getJob',
  method: 'get',
  path: '/jobs/:id',
  summary: 'One job',
  params: s.IdParams,
  query: s.NoQuery,
  responses: { 200: json(s.Job, 'The job.'), 400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503] },
});

export const getJobResult = define({
  operationId: 'getJobResult',
  method: 'get',
  path: '/jobs/:id/result',
  summary: 'The result of a job that succeeded',
  description: 'A JSON result is answered as JSON; a byte result with the content type its handler gave.',
  params: s.IdParams,
  query: s.NoQuery,
  responses: {
    200: {
      description: 'The result itself.',
      content: {
        'application/json': { schema: z.unknown().meta({ description: 'Any JSON value the handler returned.' }) },
        'application/octet-stream': { schema: z.string().meta({ format: 'binary', description: 'Bytes, with the content type the handler gave.' }) },
      },
    },
    409: error('The job has not succeeded (code conflict); details carry its status and error.'),
    400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503],
  },
});

export const jobEvents = define({
  operationId: 'jobEvents',
  method: 'get',
  path: '/jobs/:id/events',
  summary: 'Live status and progress (Server-Sent Events)',
  queryToken: true,
  description:
    'Sends `event: status` (data: the job) and `event: progress` (data: { id, progress }); the first event is the job as it is now, '
    + 'and the stream ends after a terminal status. A comment line keeps idle connections alive. '
    + 'The terminal status event has the SSE id `end`; an EventSource that reconnects after it (sending `Last-Event-ID: end`) '
    + 'while the job is still over gets 204, which stops its reconnecting. '
    + 'Because EventSource cannot send headers, the event streams (this route and GET /events) also take the token as `access_token` in the query.',
  params: s.IdParams,
  query: s.EventsQuery,
  responses: {
    200: {
      description: 'An event stream. Data of `status` events: Job; of `progress` events: ProgressEvent.',
      content: { 'text/event-stream': { schema: z.string().meta({ description: 'event: status|progress, data: JSON (Job or ProgressEvent)' }) } },
    },
    204: { description: 'Reconnected after the end (`Last-Event-ID: end`) and the job is still over: nothing more will come.' },
    400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503],
  },
});

export const queueEvents = define({
  operationId: 'queueEvents',
  method: 'get',
  path: '/events',
  summary: "Every job's status changes, live (Server-Sent Events): for lists that stay current",
  queryToken: true,
  description:
    'Sends `event: changes` (data: QueueChanges) at most four times a second, when jobs were created through the API or changed status: '
    + 'the newest 50 of them as they are after the change (the job object without params), the rest as id and new status, and the counts by status. '
    + 'Read what you show after the stream opens (its headers arrive once it is subscribed), then apply the changes; '
    + '`event: resync` says changes may have been missed (the API lost Redis for a moment): read again. '
    + 'A comment line keeps idle connections alive; a client that falls more than 1 MiB behind is disconnected (reconnect and read again). '
    + 'However many clients listen, an API process holds one Redis subscription and reads each change once. '
    + 'Jobs made without the API (a schedule\'s occurrences, a TaskQueue of your own) show from their first status change. '
    + 'Because EventSource cannot send headers, this route also takes the token as `access_token` in the query.',
  query: s.EventsQuery,
  responses: {
    200: {
      description: 'An event stream. Data of `changes` events: QueueChanges; of `resync` events: {}.',
      content: {
        'text/event-stream': {
          // OpenAPI 3.1 has no schema for the items of a stream (3.2's itemSchema): the stream is shown as the sequence of its events.
          schema: z.array(z.union([
            z.object({ event: z.literal('changes'), data: QueueChanges }),
            z.object({ event: z.literal('resync'), data: z.object({}) }),
          ])).meta({ description: 'The events in order, each sent as `event: <name>` and one `data: <JSON>` line.' }),
        },
      },
    },
    400: errors[400], 401: errors[401], 503: errors[503],
  },
});

export const cancelJob = define({
  operationId: 'cancelJob',
  method: 'delete',
  path: '/jobs/:id',
  summary: 'Cancel a job, or delete a finished one',
  description:
    'A queued or delayed job is cancelled at once (200, the job); a running one is asked to stop through its signal (202, the job). '
    + 'A finished job (succeeded, failed or cancelled) is deleted for good: its record, params, result and index entries (200, `{ id, deleted: true }`).',
  params: s.IdParams,
  query: s.NoQuery,
  responses: {
    200: {
      description: 'Cancelled (the job), or deleted (`{ id, deleted: true }`).',
      content: { 'application/json': { schema: z.union([s.Job, ops.Deleted]) } },
    },
    202: json(s.Job, 'Running: its worker has been asked to stop.'),
    409: error('The job cannot be cancelled or deleted in its state now (code conflict); details carry its status.'),
    400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 503: errors[503],
  },
});

export const retryJob = define({
  operationId: 'retryJob',
  method: 'post',
  path: '/jobs/:id/retry',
  summary: 'Queue a failed or cancelled job again',
  description: 'Its attempts start over. Takes no body (an empty JSON object is accepted).',
  params: s.IdParams,
  query: s.NoQuery,
  responses: {
    200: json(s.Job, 'Queued again.'),
    409: error('The job is not failed or cancelled (code conflict); details carry its status.'),
    400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 413: errors[413], 415: errors[415], 429: errors[429], 503: errors.put503,
  },
});

export const getStats = define({
  operationId: 'getStats',
  method: 'get',
  path: '/stats',
  summary: 'Counts by status, queue depths, live workers, throughput',
  description: 'A partitioned queue is shown as one; `?partitions=true` adds each partition\'s counts and depths.',
  query: s.StatsQuery,
  responses: { 200: json(s.Stats, 'Stats.'), 400: errors[400], 401: errors[401], 503: errors[503] },
});

export const listWorkers = define({
  operationId: 'listWorkers',
  method: 'get',
  path: '/workers',
  summary: 'Live workers with their last heartbeat and running jobs',
  query: s.NoQuery,
  responses: { 200: json(s.WorkerList, 'Workers.'), 400: errors[400], 401: errors[401], 503: errors[503] },
});

export const healthz = define({
  operationId: 'healthz',
  method: 'get',
  path: '/healthz',
  summary: 'The process is alive (needs no token)',
  public: true,
  responses: { 200: json(s.Health, 'Alive.'), '4XX': unreadable },
});

export const readyz = define({
  operationId: 'readyz',
  method: 'get',
  path: '/readyz',
  summary: 'Redis is reachable (needs no token)',
  public: true,
  responses: { 200: json(s.Health, 'Ready.'), '4XX': unreadable, 503: errors[503] },
});

export const metrics = define({
  operationId: 'metrics',
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics (text format)',
  query: s.NoQuery,
  responses: {
    200: { description: 'Metrics.', content: { 'text/plain': { schema: z.string() } } },
    400: errors[400], 401: errors[401],
  },
});

export const openapi = define({
  operationId: 'openapi',
  method: 'get',
  path: '/openapi.json',
  summary: 'This document (OpenAPI 3.1)',
  query: s.NoQuery,
  responses: {
    200: { description: 'The OpenAPI document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
    400: errors[400], 401: errors[401],
  },
});

export const home = define({
  operationId: 'home',
  method: 'get',
  path: '/',
  summary: 'The dashboard (needs no token: the page asks for one when the API has tokens)',
  description: 'An HTML page whose script and styles come from /ui/; strict Content-Security-Policy, nothing loaded from elsewhere. 503 when the package was not built.',
  public: true,
  responses: {
    200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } },
    '4XX': unreadable,
    503: { description: 'The dashboard was not built (HTML saying how to build it).', content: { 'text/html': { schema: z.string() } } },
  },
});

export const dashboardAsset = define({
  operationId: 'dashboardAsset',
  method: 'get',
  path: '/ui/:file',
  summary: "The dashboard's script and styles (need no token)",
  public: true,
  params: s.AssetParams,
  responses: {
    200: { description: 'The file.', content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } } },
    400: errors[400],
    503: { description: 'The dashboard was not built.', content: { 'text/plain': { schema: z.string() } } },
  },
});

/** Every operation, in the order of the HTTP reference. */
export const OPERATIONS: readonly Operation[] = [
  submitJob, submitJobBatch, listJobs, getJob, getJobResult, jobEvents, queueEvents, cancelJob, retryJob,
  ...OPERATOR_OPERATIONS, ...SCHEDULE_OPERATIONS,
  getStats, ...LIMIT_OPERATIONS, listWorkers, healthz, readyz, metrics, openapi, home, dashboardAsset,
];
