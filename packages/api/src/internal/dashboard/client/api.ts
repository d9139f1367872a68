// The dashboard's only way to the server: the API's own routes, with the token the user gave.

import type { Stats } from './types.js';

const TOKEN_KEY = 'hotq.token';

/** An error answer of the API, or the network failing. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const token = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (value: string): void => (value ? sessionStorage.setItem(TOKEN_KEY, value) : sessionStorage.removeItem(TOKEN_KEY)),
};

/** Sends a request; answers the JSON body, throws ApiFailure for any error status. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const value = token.get();
  if (value) headers.authorization = `Bearer ${value}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiFailure(0, 'unreachable', 'The API does not answer; is hotq-api still running?');
  }
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiFailure(response.status, error?.code ?? 'error', error?.message ?? `HTTP ${response.status}`);
  }
  return parsed as T;
}

/** The URL of a job's event stream: EventSource cannot send headers, so the token goes in the query. */
export function eventsUrl(id: string): string {
  const value = token.get();
  return `/jobs/${encodeURIComponent(id)}/events${value ? `?access_token=${encodeURIComponent(value)}` : ''}`;
}

export interface Access {
  /** The API answered a read with this token (or needs none). */
  ok: boolean;
  /** The token may write; false with the read token. */
  canWrite: boolean;
  /** Why not, when !ok. */
  message?: string;
  /** Optional routes this API serves (from its OpenAPI document). */
  pause: boolean;
  bulk: boolean;
  schedules: boolean;
  /** The API pushes every job's changes (GET /events): lists are live instead of re-read. */
  live: boolean;
  /** The job statuses of this API, in lifecycle order (the keys of GET /stats's counts). */
  statuses: string[];
}

/**
 * What this token may do. Reads: GET /stats. Writes: the API checks the token before it validates, so
 * a retry of the malformed id "0" answers 403 to the read token and 400 to the full one, writing
 * nothing either way.
 */
export async function checkAccess(): Promise<Access> {
  let stats: Stats;
  try {
    stats = await api<Stats>('GET', '/stats');
  } catch (error) {
    const failure = error as ApiFailure;
    const message = failure.status === 401
      ? (token.get() ? 'That token is not valid for this API.' : 'This API needs a token.')
      : failure.message;
    return { ok: false, canWrite: false, message, pause: false, bulk: false, schedules: false, live: false, statuses: [] };
  }
  let canWrite = true;
  try {
    await api('POST', '/jobs/0/retry');
  } catch (error) {
    canWrite = (error as ApiFailure).status !== 403;
  }
  const doc = await api<{ paths?: Record<string, unknown> }>('GET', '/openapi.json').catch(() => ({ paths: {} }));
  const paths = doc.paths ?? {};
  return {
    ok: true, canWrite, pause: '/queue/pause' in paths, bulk: '/jobs/retry' in paths && '/jobs/delete' in paths, schedules: '/schedules' in paths, live: '/events' in paths,
    statuses: Object.keys(stats.counts),
  };
}
