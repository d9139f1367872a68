import express, { type Request, type RequestHandler, type Response } from 'express';
import type { AuthCheck } from './auth.js';
import { ApiError, invalidField } from './errors.js';
import type { Operation } from './operations.js';
import { isPlainJsonType, jsonBodyReader } from './json-body.js';
import { parseRequest, type Parsed } from './validate.js';
import { writeAnswerHead } from './answer-headers.js';

/** A handler bound to its operation. */
export interface Route {
  readonly operation: Operation;
  /** Express 5 passes what it throws, or the promise it returns rejects with, to the error handlers. */
  readonly handle: (req: Request, res: Response) => Promise<void> | void;
}

/** Binds a handler to an operation; the handler receives the request as the schemas parsed it. */
export function route<O extends Operation>(
  operation: O,
  handle: (input: Parsed<O>, req: Request, res: Response) => Promise<void> | void,
): Route {
  return {
    operation,
    // Not wrapped in an async function of its own: one promise per request fewer.
    handle: (req, res) => handle(parseRequest(operation, req), req, res),
  };
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * The handlers that come before a route's own, in order: the first names the operation (for metrics),
 * authenticates and, on writes, checks the body's presence and type and reads it, all in one step
 * (each handler Express runs costs a dispatch); then, for writes that take no body, the check that
 * none came. Routes with a body schema require one (415 when it is not JSON, 413 when over the
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
  const parse = jsonBodyReader(limit, express.json({ limit, strict: false, type: JSON_TYPES }));
  const required = operation.body !== undefined;
  const front: RequestHandler = (req, res, next) => {
    const refused = admit(req, res);
    if (refused) return next(refused);
    // An empty body (Content-Length: 0, as fetch sends for a bodiless POST) counts as none.
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    const plainType = hasBody && isPlainJsonType(req.headers['content-type']);
    const match = hasBody ? plainType || req.is(JSON_TYPES) : null;
    if (match === null) {
      // No body at all.
      return next(required ? invalidField('body', 'required: a JSON object') : undefined);
    }
    if (match === false) {
      const type = req.get('content-type');
      return next(new ApiError('unsupported_media_type', `Content-Type must be application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'})`));
    }
    parse(req, res, next, plainType);
  };
  const empty: RequestHandler = (req, _res, next) => {
    const body: unknown = req.body;
    const isEmpty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
    next(isEmpty ? undefined : invalidField('body', 'this route takes no body (or an empty JSON object)'));
  };
  return required ? [front] : [front, empty];
}

const JSON_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026' };
const ESCAPED = /[<>&]/;
const ESCAPED_ALL = /[<>&]/g;

/**
 * Answers a write with JSON, as `res.status(status).json(body)` would with the app's `json escape`
 * setting (`<`, `>` and `&` escaped), but without the ETag Express computes for every answer it
 * sends: a hash of the body that nobody revalidates on the answer to a POST. Kept for the routes that
 * create jobs, the busiest. `location`, when given, becomes the Location header. Its head, with the
 * security headers and the request id, is written in one call (see {@link writeAnswerHead}).
 */
export function sendWriteAnswer(res: Response, status: number, body: unknown, location?: string): void {
  const json = JSON.stringify(body);
  const text = ESCAPED.test(json) ? json.replace(ESCAPED_ALL, (char) => JSON_ESCAPES[char] ?? char) : json;
  const head = ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(text))];
  // The Location is set as is: the only ones given are paths of job ids, which need no encoding.
  if (location !== undefined) head.push('Location', location);
  writeAnswerHead(res, status, head);
  res.end(text);
}
