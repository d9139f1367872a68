import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ApiError } from './errors.js';

/** Tokens the app accepts; both absent means no authentication. */
export interface AuthConfig {
  apiToken?: string | undefined;
  readToken?: string | undefined;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/** A fixed-length digest, so comparing never leaks the token's length or content through timing. */
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

function matches(candidate: string, expected: Buffer | undefined): boolean {
  return expected !== undefined && timingSafeEqual(digest(candidate), expected);
}

/** The bearer token of a request: the Authorization header, or (where allowed) `access_token` in the query. */
function presentedToken(req: Request, allowQueryToken: boolean): string | undefined {
  const header = req.get('authorization');
  if (header !== undefined) {
    const match = /^Bearer[ \t]+([^ \t].*?)[ \t]*$/i.exec(header);
    return match ? match[1] : '';
  }
  if (allowQueryToken) {
    const value = (req.query as Record<string, unknown>).access_token;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Checks the options once: a read token alone would leave writes open to anyone. */
export function checkAuthConfig(config: AuthConfig): void {
  for (const [name, value] of Object.entries(config)) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw new TypeError(`createApp: ${name} must be a non-empty string when given`);
    }
  }
  if (config.readToken !== undefined && config.apiToken === undefined) {
    throw new TypeError('createApp: readToken (HOTQ_API_READ_TOKEN) needs apiToken (HOTQ_API_TOKEN) as well; refusing to run with writes unprotected');
  }
  if (config.readToken !== undefined && config.readToken === config.apiToken) {
    throw new TypeError('createApp: readToken must differ from apiToken');
  }
}

/** Where a route stands on tokens. */
export interface RouteAuth {
  /** Needs no token (the probes). */
  public?: boolean;
  /** Also takes the token as `access_token` in the query (the event stream: EventSource sends no headers). */
  queryToken?: boolean;
}

/** Says whether a request may pass a route: undefined when it may, else the 401 or 403 to answer. */
export type AuthCheck = (req: Request, route: RouteAuth) => ApiError | undefined;

/**
 * Authentication, run first for every route (and for the not-found fallback), so it runs before
 * anything reads or validates the request. With no token configured every request passes.
 * Otherwise: the full token may do anything; the read token only GET and HEAD (403 for the rest); no
 * token or a wrong one is 401 with `WWW-Authenticate`.
 */
export function createAuth(config: AuthConfig): AuthCheck {
  const full = config.apiToken === undefined ? undefined : digest(config.apiToken);
  const read = config.readToken === undefined ? undefined : digest(config.readToken);
  return (req, route) => {
    if (full === undefined || route.public) return undefined;
    const token = presentedToken(req, route.queryToken === true);
    if (token === undefined || token === '') {
      return new ApiError('unauthorized', 'a token is required: send Authorization: Bearer <token>', undefined, {
        'WWW-Authenticate': 'Bearer realm="hotq"',
      });
    }
    // Compare with both, always, so timing does not tell which one matched.
    const isFull = matches(token, full);
    const isRead = matches(token, read);
    if (isFull) return undefined;
    if (isRead) {
      if (READ_METHODS.has(req.method)) return undefined;
      return new ApiError('forbidden', `the read-only token cannot ${req.method} ${req.path}; use the full token`);
    }
    return new ApiError('unauthorized', 'the token is not valid', undefined, {
      'WWW-Authenticate': 'Bearer realm="hotq", error="invalid_token"',
    });
  };
}

/** The check as a middleware of its own (the not-found fallback). */
export function authMiddleware(check: AuthCheck, route: RouteAuth): RequestHandler {
  return (req, _res, next) => {
    next(check(req, route));
  };
}
