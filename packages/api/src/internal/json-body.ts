import type { NextFunction, Request, RequestHandler, Response } from 'express';
import bytes from 'bytes';
import { toApiError } from './errors.js';

/** `application/json` alone, or with the UTF-8 charset: the body a client nearly always sends. */
const PLAIN_JSON = /^application\/json(\s*;\s*charset="?utf-8"?)?$/i;

/** Whether a Content-Type is plain JSON in UTF-8 (see {@link jsonBodyReader}); others need a full media-type match. */
export function isPlainJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && PLAIN_JSON.test(contentType);
}

/** Reads a request's JSON body; `plainType` is what {@link isPlainJsonType} said of its Content-Type. */
export type JsonBodyReader = (req: Request, res: Response, next: NextFunction, plainType: boolean) => void;

/**
 * Reads a JSON body into `req.body`. The common request (plain `application/json` in UTF-8, not
 * compressed, with a Content-Length within the limit) is read here directly; any other (a charset
 * or Content-Encoding to decode, chunked, over the limit) goes to Express's JSON parser, which also
 * answers its errors. Reading the common body without body-parser's generality (a media-type parse,
 * a decoder, a stream reader and their listeners) was about a seventh of what a bare Express route
 * costs. Either way the result is the same: the parsed value, or the same error for malformed JSON.
 */
export function jsonBodyReader(limit: string | number, fallback: RequestHandler): JsonBodyReader {
  const maxBytes = typeof limit === 'number' ? limit : bytes.parse(limit);
  return (req, res, next, plainType) => {
    const length = Number(req.headers['content-length']);
    const plain = plainType && length > 0 && length <= (maxBytes ?? 0) && req.headers['transfer-encoding'] === undefined
      && (req.headers['content-encoding'] ?? 'identity').toLowerCase() === 'identity';
    if (plain) readBody(req, next);
    else void fallback(req, res, next);
  };
}

function readBody(req: Request, next: (error?: unknown) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const settle = (error?: unknown): void => {
    if (settled) return;
    settled = true;
    next(error);
  };
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8');
    // A byte-order mark is not part of the JSON (body-parser's decoder drops it too).
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    try {
      req.body = JSON.parse(text) as unknown;
    } catch {
      return settle(toApiError({ type: 'entity.parse.failed' }));
    }
    settle();
  });
  // The client went away before its body came: nobody is left to answer, but the request must end.
  // ('close' also follows every 'end', when it changes nothing.) No 'error' listener: Node emits
  // an incoming request's errors only to listeners it has, and 'close' follows them too. The error
  // is made only when it is needed: an Error captures a stack, and 'close' comes every time.
  req.on('close', () => {
    if (!settled) settle(toApiError({ type: 'request.aborted' }));
  });
}
