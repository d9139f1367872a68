// The building blocks of the route table (operations.ts and its siblings): what an operation is, and
// the answers many of them share.
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
  readonly method: 'get' | 'post' | 'put' | 'delete';
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

export const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
export const error = (description: string) => json(s.ErrorBody, description);

export const errors = {
  400: error('Invalid input: the message names the field and the rule (code invalid_request).'),
  401: error('A token is required and was missing or wrong (code unauthorized). Carries WWW-Authenticate.'),
  403: error('The read-only token cannot write (code forbidden).'),
  404: error('No such job (code not_found).'),
  409: error('The job is not in a state that allows this (code conflict); details carry its status.'),
  413: error('The body is larger than the limit, 1 MiB by default (code payload_too_large).'),
  415: error('The body is not JSON (code unsupported_media_type).'),
  429: {
    ...error('The queue holds its maximum of waiting jobs (code queue_full): nothing was added (details: waiting, maxQueued). Retry after Retry-After seconds.'),
    headers: z.object({ 'Retry-After': z.string().meta({ description: 'Seconds to wait before trying again.', example: '1' }) }),
  },
  503: error('Redis is unavailable (code redis_unavailable). Try again.'),
  /** The 503 of the routes that queue a job: also the durability option's refusal. */
  put503: {
    ...error('Redis is unavailable (code redis_unavailable); or, with --wait-replicas, fewer replicas than asked confirmed the job in time '
      + '(code not_replicated): it was written on the master but a failover could lose it (details: ids, acknowledged, wanted); submit it again with the same idempotencyKey.'),
    headers: z.object({ 'Retry-After': z.string().optional().meta({ description: 'With not_replicated: seconds to wait before submitting again.', example: '1' }) }),
  },
} as const;

/**
 * The only client errors of the routes that read nothing from the request (the probes, the
 * dashboard's page): Node's HTTP server answers a request it cannot parse before any route runs.
 */
export const unreadable = {
  description: 'Not sent by the route itself: a request the HTTP server cannot read (a malformed request line, headers over the size limit) is answered 400 or 431 before any route runs, without a body.',
};

/** Any route may answer it: a fault of the server itself, never of the request. */
export const internalErrorResponse = error('A fault of the server itself, never of the request (code internal_error); it is logged.');

/** Types an operation (its params, query and body schemas flow into its handler). */
export function define<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType | undefined = undefined>(
  operation: Operation<P, Q, B>,
): Operation<P, Q, B> {
  return operation;
}
