import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { pino, type Logger } from 'pino';
import { setRequestId } from './answer-headers.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** The status logged and counted for a request whose client closed its connection before the answer. */
const CLIENT_CLOSED = 499;

/** A URL fit for a log line: any `access_token` in its query is replaced. */
export function redactUrl(url: string): string {
  // A URL without a query, as nearly every request's, has no token to hide.
  if (!url.includes('?')) return url;
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

/** Told of every answered (or abandoned) request once: its status (499 when abandoned) and how long it took. */
export type RequestDone = (req: Request, res: Response, status: number, seconds: number) => void;

/**
 * One log line per request, at info (warn for 503, error for other 5xx): method, URL without tokens, status, time,
 * request id (the client's `X-Request-Id` when well formed, else a new UUID; the answer carries it). Never headers (Authorization), bodies or results. The line is built when the answer
 * ends, from a handful of fields: no logger per request (a child logger and its serializers were a
 * tenth of the API's CPU per submission), in the shape pino-http wrote before. `onDone` (the metrics)
 * is called at the same moment, from the same listener: every listener on a response costs.
 */
export function requestLogger(logger: Logger, onDone: RequestDone): RequestHandler {
  const log = logger.child({}, { serializers: { err: pino.stdSerializers.err } });
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    setRequestId(res, id);
    const started = performance.now();
    let ended = false;
    const done = (error?: unknown): void => {
      // 'close' follows 'finish' and an abandoned answer alike; 'error' brings a cause first. Once
      // per request: the listeners stay (they go with the response), which is cheaper than removing them.
      if (ended) return;
      ended = true;
      // A client that went away before any answer was written got none: its line and its count say
      // 499 ("client closed request", as nginx writes it), not the 200 a response starts with.
      const status = res.headersSent || error !== undefined ? res.statusCode : CLIENT_CLOSED;
      const elapsedMs = performance.now() - started;
      onDone(req, res, status, elapsedMs / 1000);
      // errorHandler leaves the cause of a 5xx on res.err for this line.
      const cause = error ?? (res as { err?: unknown }).err;
      // Redis outages are the operator's news, not a bug: warn. Our own faults: error.
      const level = status === 503 ? 'warn' : cause !== undefined || status >= 500 ? 'error' : 'info';
      if (!log.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        reqId: id, req: { id, method: req.method, url: redactUrl(req.originalUrl ?? req.url) }, res: { statusCode: status }, responseTime: Math.round(elapsedMs),
      };
      if (cause !== undefined || status >= 500) line.err = cause ?? new Error(`failed with status code ${status}`);
      log[level](line, `${req.method} ${status}`);
    };
    res.on('close', done);
    res.on('error', done);
    // Tells errorHandler that this line will carry a 5xx's cause.
    res.locals.logged = true;
    next();
  };
}
