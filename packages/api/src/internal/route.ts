import express, { type Request, type RequestHandler, type Response } from 'express';
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
 * Reads a JSON body, after authentication and before validation. Routes with a body schema require
 * one (415 when it is not JSON, 413 when over the limit, 400 when malformed); other writes take none,
 * or an empty JSON object. GET routes never read one.
 */
export function bodyReader(operation: Operation, limit: string | number): RequestHandler[] {
  if (operation.method === 'get') return [];
  // strict: false so that a JSON body that is not an object reaches the schema, which says what is expected.
  const parse = express.json({ limit, strict: false, type: JSON_TYPES });
  const required = operation.body !== undefined;
  const check: RequestHandler = (req, _res, next) => {
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
  return required ? [check, parse] : [check, parse, empty];
}
