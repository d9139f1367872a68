import { DependencyError, isRedisUnavailable, NotReplicatedError, PartialPutError, QueueFullError } from '@hotq/queue-core';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApiErrorBody, ApiErrorCode } from '../api-error.js';

const STATUS: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  queue_full: 429,
  redis_unavailable: 503,
  not_replicated: 503,
  internal_error: 500,
};

/** An error answer: status, code, message and optional details and headers. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = STATUS[code];
  }

  /** The JSON body of this answer. */
  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/**
 * A submission that names a dependency which is not a job of this queue (queue-core's
 * DependencyError): a 400 on `<prefix>dependsOn`. Anything else is passed through.
 */
export function dependencyRefusal(error: unknown, prefix: (index: number) => string): unknown {
  if (!(error instanceof DependencyError)) return error;
  return invalidField(`${prefix(error.index)}dependsOn`, `names ${error.dependency}, which is not a job of this queue (never submitted, deleted, or past its retention); nothing was created`);
}

/** A 400 naming the field and the rule it broke. */
export function invalidField(field: string, rule: string): ApiError {
  return new ApiError('invalid_request', `${field}: ${rule}`, { fields: [{ field, rule }] });
}

// Whether an error says Redis is unreachable or cannot serve right now: a 503, never the client's
// fault. The rule is queue-core's, shared by every package.
export { isRedisUnavailable };

const BODY_PARSER: Record<string, [ApiErrorCode, string]> = {
  'entity.too.large': ['payload_too_large', 'body is larger than the limit'],
  'entity.parse.failed': ['invalid_request', 'body: must be valid JSON'],
  'encoding.unsupported': ['unsupported_media_type', 'Content-Encoding is not supported (use identity, gzip, deflate or br)'],
  'charset.unsupported': ['unsupported_media_type', 'body charset is not supported (use utf-8)'],
  'request.aborted': ['invalid_request', 'the request was aborted before its body was read'],
  'request.size.invalid': ['invalid_request', 'body: its length does not match Content-Length'],
  'parameters.too.many': ['payload_too_large', 'body has too many parameters'],
};

/**
 * Turns anything thrown while serving a request into an {@link ApiError}. Errors the client caused
 * become 4xx; Redis outages 503; only a fault of our own is 500.
 */
export function toApiError(error: unknown, limit?: string | number): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof PartialPutError) {
    // A batch on a partitioned queue: some partitions took their items, one refused or failed. The
    // answer is that failure's, with the positions of what was written and what was not.
    const cause = toApiError(error.cause, limit);
    const details = typeof cause.details === 'object' && cause.details !== null ? cause.details : {};
    return new ApiError(cause.code, `jobs at positions ${error.written.join(', ')} were written; those at ${error.failed.join(', ')} were not: ${cause.message}`,
      { ...details, written: error.written, failed: error.failed }, cause.headers);
  }
  if (error instanceof QueueFullError) {
    // Backpressure: the put refused itself atomically; the client should come back in a moment.
    return new ApiError('queue_full', `${error.message}; retry later`, { waiting: error.waiting, maxQueued: error.maxQueued }, { 'Retry-After': '1' });
  }
  if (error instanceof NotReplicatedError) {
    // Written on the master, not yet on enough replicas: acknowledging it would promise what a
    // failover could take back. The same idempotencyKey again answers with this job, after a new wait.
    return new ApiError('not_replicated', `${error.message}; submit again with the same idempotencyKey`,
      { ids: error.ids, acknowledged: error.acknowledged, wanted: error.wanted }, { 'Retry-After': '1' });
  }
  if (isRedisUnavailable(error)) {
    return new ApiError('redis_unavailable', 'Redis is unavailable; try again shortly');
  }
  if (typeof error === 'object' && error !== null) {
    const { type, status, code, field, argument } = error as {
      type?: unknown; status?: unknown; code?: unknown; field?: unknown; argument?: unknown;
    };
    const message = error instanceof Error ? error.message : String(error);
    if (typeof type === 'string' && type in BODY_PARSER) {
      const [apiCode, text] = BODY_PARSER[type] as [ApiErrorCode, string];
      return new ApiError(apiCode, type === 'entity.too.large' && limit !== undefined ? `${text} (${String(limit)})` : text);
    }
    // jobs-store's typed errors (JobInputError, JobNotFoundError, JobStateError) carry our codes.
    if (code === 'invalid_request') {
      return typeof field === 'string' ? invalidField(field, stripField(message, field)) : new ApiError('invalid_request', message);
    }
    if (code === 'not_found') return new ApiError(code, message);
    if (code === 'conflict') {
      // JobStateError carries the job's status.
      return new ApiError(code, message, typeof status === 'string' ? { status } : undefined);
    }
    // queue-core's InvalidArgumentError: an input that slipped past our schemas is still the client's.
    if (code === 'invalid_argument' && typeof argument === 'string') return invalidField(argument, message);
    // The router could not decode a %-escape of the path.
    if (error instanceof URIError) return new ApiError('invalid_request', 'path: malformed percent-encoding');
    // Express and body-parser mark other client errors with a 4xx status.
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const byStatus = (Object.keys(STATUS) as ApiErrorCode[]).find((key) => STATUS[key] === status) ?? 'invalid_request';
      const exposed = (error as { expose?: unknown }).expose === true;
      return new ApiError(byStatus, exposed ? message : 'the request is malformed');
    }
  }
  return new ApiError('internal_error', 'internal error; it has been logged');
}

function stripField(message: string, field: string): string {
  return message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
}

/** Sends an error answer. */
export function sendError(res: Parameters<RequestHandler>[1], error: ApiError): void {
  if (error.headers) res.set(error.headers);
  res.status(error.status).json(error.toBody());
}

/** The last handler: JSON errors for everything, 5xx logged (without bodies or tokens). */
export function errorHandler(logger: Logger, limit: string | number): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const apiError = toApiError(error, limit);
    if (apiError.status >= 500) {
      // The request's log line carries the cause (requestLogger logs `res.err`): still one line per request.
      // Our own faults with their stack; outages with the message only.
      const cause = apiError.code === 'internal_error' ? error : { message: (error as Error)?.message ?? String(error) };
      Object.assign(res, { err: cause });
      if (res.locals.logged !== true) logger.error({ err: cause }, 'request failed');
    }
    if (res.headersSent) {
      // A stream already started (the event stream): all we can do is end it.
      res.end();
      return;
    }
    if (req.readable && !req.readableEnded) {
      // Unread body (rejected before parsing): let the client finish sending, then close.
      res.set('Connection', 'close');
      req.resume();
    }
    sendError(res, apiError);
  };
}

/** Any route not in the table. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new ApiError('not_found', `no route ${req.method} ${req.path}`));
};
