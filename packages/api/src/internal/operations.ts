// The route table of the HTTP API (docs/reference/http.md) as data: method, path, schemas and answers. Routes bind a handler to
// each operation (routes/*.ts) and openapi.ts renders the same objects, so the document lists
// exactly what is served, validated by exactly what it shows.
import * as z from 'zod';
import type { ZodOpenApiResponsesObject } from 'zod-openapi';
import * as s from './schemas.js';

/** One route: what it takes and what it answers. */
export interface Operation<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'delete';
  /** Express path syntax (`/jobs/:id`); the document shows `/jobs/{id}`. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** Needs no token even when one is configured. */
  readonly public?: boolean;
  /** Also takes the token as `access_token` in the query (EventSource cannot send headers). */
  readonly queryToken?: boolean;
  readonly params?: P;
  /** The query it accepts (anything else is a 400); absent: the query is ignored (probes, the home page). */
  readonly query?: Q;
  /** A JSON request body. */
  readonly body?: B;
  readonly responses: ZodOpenApiResponsesObject;
}

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(s.ErrorBody, description);

const errors = {
  400: error('Invalid input: the message names the field and the rule (code invalid_request).'),
  401: error('A token is required and was missing or wrong (code unauthorized). Carries WWW-Authenticate.'),
  403: error('The read-only token cannot write (code forbidden).'),
  404: error('No such job (code not_found).'),
  409: error('The job is not in a state that allows this (code conflict); details carry its status.'),
  413: error('The body is larger than the limit, 1 MiB by default (code payload_too_large).'),
  415: error('The body is not JSON (code unsupported_media_type).'),
  503: error('Redis is unavailable (code redis_unavailable). Try again.'),
} as const;

/** Any route may answer it: a fault of the server itself, never of the request. */
export const internalErrorResponse = error('A fault of the server itself, never of the request (code internal_error); it is logged.');

const location = z.string().meta({ description: 'Where the job lives: /jobs/{id}.', example: '/jobs/01JD5Z3V9Q8W7E6R5T4Y3X2H1G' });

function define<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType | undefined = undefined>(
  operation: Operation<P, Q, B>,
): Operation<P, Q, B> {
  return operation;
}

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
    400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 503: errors[503],
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
    + 'Because EventSource cannot send headers, this route (and only this one) also takes the token as `access_token` in the query.',
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

export const cancelJob = define({
  operationId: 'cancelJob',
  method: 'delete',
  path: '/jobs/:id',
  summary: 'Cancel a job',
  description: 'A queued or delayed job is cancelled at once (200); a running one is asked to stop through its signal (202).',
  params: s.IdParams,
  query: s.NoQuery,
  responses: {
    200: json(s.Job, 'Cancelled.'),
    202: json(s.Job, 'Running: its worker has been asked to stop.'),
    409: error('Already finished (code conflict); details carry its status.'),
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
    400: errors[400], 401: errors[401], 403: errors[403], 404: errors[404], 413: errors[413], 415: errors[415], 503: errors[503],
  },
});

export const getStats = define({
  operationId: 'getStats',
  method: 'get',
  path: '/stats',
  summary: 'Counts by status, queue depths, live workers, throughput',
  query: s.NoQuery,
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
  responses: { 200: json(s.Health, 'Alive.') },
});

export const readyz = define({
  operationId: 'readyz',
  method: 'get',
  path: '/readyz',
  summary: 'Redis is reachable (needs no token)',
  public: true,
  responses: { 200: json(s.Health, 'Ready.'), 503: errors[503] },
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
  summary: 'A minimal page linking to the API description (the dashboard comes later)',
  responses: { 200: { description: 'HTML.', content: { 'text/html': { schema: z.string() } } }, 401: errors[401] },
});

/** Every operation, in the order of the HTTP reference. */
export const OPERATIONS: readonly Operation[] = [
  submitJob, listJobs, getJob, getJobResult, jobEvents, cancelJob, retryJob,
  getStats, listWorkers, healthz, readyz, metrics, openapi, home,
];
