import { Redis } from 'ioredis';
import { RedisUnavailableError } from './errors.js';

/** How long a single Redis call may take before it rejects with RedisUnavailableError. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * Rejects with RedisUnavailableError when `work` has not settled within `ms`, so no call can hang
 * forever while ioredis keeps reconnecting. Every write we send is idempotent or fenced, so a command
 * that still reaches Redis after the timeout cannot apply twice.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RedisUnavailableError(`Redis did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (error) {
    if (error instanceof RedisUnavailableError) throw error;
    if (isConnectionError(error)) {
      throw new RedisUnavailableError(`Redis is unreachable (${what}): ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/.test(error.message)
  );
}

/** Options hotq uses for connections it creates itself. */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    // Commands issued while disconnected wait for the reconnect; withTimeout bounds the wait.
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Reconnect forever, backing off to one attempt per second.
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    lazyConnect: false,
  });
}
