import { Redis, type Cluster } from 'ioredis';
import { RedisUnavailableError } from './errors.js';

/** How long a single Redis call may take before it rejects with RedisUnavailableError. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** A call waiting for Redis, and what to do when its time is up. */
interface Deadline {
  readonly at: number;
  readonly expire: () => void;
}

/**
 * Every call's deadline, checked by one shared timer while any is pending: a timer per call (set and
 * cleared on every command) cost more than the command itself on a busy connection. Deadlines fire
 * up to {@link SWEEP_MS} late, which no caller of a bound measured in seconds can notice.
 */
const deadlines = new Set<Deadline>();
const SWEEP_MS = 25;
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const deadline of deadlines) {
    if (deadline.at <= now) {
      deadlines.delete(deadline);
      deadline.expire();
    }
  }
  if (deadlines.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Rejects with RedisUnavailableError when `work` has not settled within `ms`, so no call can hang
 * forever while ioredis keeps reconnecting. Every write we send is idempotent or fenced, so a command
 * that still reaches Redis after the timeout cannot apply twice.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline: Deadline = {
      at: performance.now() + ms,
      expire: () => reject(new RedisUnavailableError(`Redis did not answer ${what} within ${ms} ms`)),
    };
    deadlines.add(deadline);
    sweeper ??= setInterval(sweep, SWEEP_MS);
    work.then(
      (value) => {
        deadlines.delete(deadline);
        resolve(value);
      },
      (error: unknown) => {
        deadlines.delete(deadline);
        reject(unavailableOr(error, what));
      },
    );
  });
}

/** A connection failure as RedisUnavailableError; any other error as it is. */
function unavailableOr(error: unknown, what: string): unknown {
  if (error instanceof RedisUnavailableError || !isConnectionError(error)) return error;
  return new RedisUnavailableError(`Redis is unreachable (${what}): ${(error as Error).message}`, { cause: error });
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

/**
 * A new connection like `client` (for a blocking wait). The two classes' `duplicate()` take
 * different optional parameters, so a union cannot call it directly.
 */
export function duplicateClient(client: Redis | Cluster): Redis | Cluster {
  return client.isCluster ? (client as Cluster).duplicate() : (client as Redis).duplicate();
}
