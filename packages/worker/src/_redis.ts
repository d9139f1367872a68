import { Redis, type Cluster } from 'ioredis';
import { QueueError } from '@hotq/queue-core';

/** Bound on calls that queue-core does not bound itself (presence, progress, quit). */
export const CALL_TIMEOUT_MS = 10_000;

/** A connection the worker owns: commands wait for a reconnect (bounded by the callers' timeouts). */
export function connectRedis(url: string, connectionName: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Reconnect forever, backing off to one attempt per second.
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    connectionName,
  });
}

/**
 * Whether an error means "Redis could not be reached" (worth retrying the same call later), as
 * opposed to a refusal or a bug that would fail the same way again.
 */
export function isUnavailable(error: unknown): boolean {
  if (error instanceof QueueError) return error.code === 'redis_unavailable';
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    error.name === 'TimeoutError' ||
    code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT' ||
    /Connection is closed|Stream isn't writeable|LOADING|did not answer/.test(error.message)
  );
}

/** Rejects with a TimeoutError when `work` has not settled within `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`Redis did not answer ${what} within ${ms} ms`);
      error.name = 'TimeoutError';
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Redis's `maxmemory-policy`, or null when the server does not say (CONFIG may be disabled). */
export async function evictionPolicy(redis: Redis | Cluster): Promise<string | null> {
  const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown;
  if (Array.isArray(reply) && typeof reply[1] === 'string') return reply[1];
  return null;
}

/** The URL with its password (and a user name's secret part) masked, for logs and messages. */
export function maskRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: show nothing that could be a secret.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
