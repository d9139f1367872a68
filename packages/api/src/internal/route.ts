import express, { type Request, type RequestHandler, type Response } from 'express';
import type { AuthCheck } from './auth.js';
import { ApiError, invalidField } from './errors.js';
import type { Operation } from './operations.js';
import { parseRequest, type Parsed } from './validate.js';

/** A handler bound to its operation. */
export interface Route {
  readonly operation: Operation;
  readonly handle: (req: Request, res: Response) => Promise<void>;
}

/** Binds a handler to an operation; the handler receives the request as the schemas parsed it. */
export function route<O extends Operation>(
  operation: O,
  handle: (input: Parsed<O>, req: Request, res: Response) => Promise<void> | void,
): Route {
  return {
    operation,
    handle: async (req, res) => {
      await handle(parseRequest(operation, req), req, res);
    },
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * The handlers that come before a route's own, in order: the first names the operation (for metrics),
 * authenticates and, on writes, checks the body's presence and type, all in one step (each handler
 * Express runs costs a dispatch); then the JSON parser and, for writes that take no body, the check
 * that none came. Routes with a body schema require one (415 when it is not JSON, 413 when over the
 * limit, 400 when malformed); other writes take none, or an empty JSON object. GET routes never read one.
 */
export function routeFront(operation: Operation, limit: string | number, auth: AuthCheck): RequestHandler[] {
  const { operationId } = operation;
  const routeAuth = { public: operation.public === true, queryToken: operation.queryToken === true };
  // Names the operation for the metrics; the refusal to answer, if the request may not pass.
  const admit = (req: Request, res: Response): ApiError | undefined => {
    res.locals.operationId = operationId;
    return auth(req, routeAuth);
  };
  if (operation.method === 'get') return [(req, res, next) => next(admit(req, res))];
  // strict: false so that a JSON body that is not an object reaches the schema, which says what is expected.
  const parse = express.json({ limit, strict: false, type: JSON_TYPES });
  const required = operation.body !== undefined;
  const front: RequestHandler = (req, res, next) => {
    const refused = admit(req, res);
    if (refused) return next(refused);
    // An empty body (Content-Length: 0, as fetch sends for a bodiless POST) counts as none.
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const match = hasBody ? req.is(JSON_TYPES) : null;
    if (match === null) {
      // No body at all.
      return next(required ? invalidField('body', 'required: a JSON object') : undefined);
    }
    if (match === false) {
      const type = req.get('content-type');
      return next(new ApiError('unsupported_media_type', `Content-Type must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'})`));
    }
    next();
  };
  const empty: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    const isEmpty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
    next(isEmpty ? undefined : invalidField('body', 'this route takes no body (or an empty JSON object)'));
  };
  return required ? [front, parse] : [front, parse, empty];
}

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };

/**
 * Answers a write with JSON, as `res.status(status).json(body)` would with the app's `json escape`
 * setting (`<`, `>` and `&` escaped), but without the ETag Express computes for every answer it
 * sends: a hash of the body that nobody revalidates on the answer to a POST. Kept for the routes that
 * create jobs, the busiest.
 */
export function sendWriteAnswer(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body).replace(/[<>&]/g, (char) => JSON_ESCAPES[char] ?? char);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
