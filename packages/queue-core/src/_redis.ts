import { Redis, type Cluster } from 'ioredis';
import { RedisUnavailableError } from './errors.js';
import { isRedisUnavailable } from './redis-errors.js';

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
 * Rejects with {@link RedisUnavailableError} when `work` has not settled within `ms`, so no call can
 * hang forever while ioredis keeps reconnecting; an error that says Redis is unavailable
 * ({@link isRedisUnavailable}) becomes a RedisUnavailableError too. Every write hotq sends is
 * idempotent or fenced, so a command that still reaches Redis after the timeout cannot apply twice.
 * @public
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

/** An unavailable Redis (see isRedisUnavailable) as RedisUnavailableError; any other error as it is. */
function unavailableOr(error: unknown, what: string): unknown {
  if (error instanceof RedisUnavailableError || !isRedisUnavailable(error)) return error;
  return new RedisUnavailableError(`Redis is unavailable (${what}): ${(error as Error).message}`, { cause: error });
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
 * A new connection like `client`, a standalone client or a Cluster (for a blocking wait or a
 * subscription). The two classes' `duplicate()` take different optional parameters, so a union
 * cannot call it directly. `options.enableOfflineQueue: true` lets its first commands wait for the
 * connection even when `client` fails fast while disconnected.
 * @public
 */
export function duplicateClient(client: Redis | Cluster, options: { enableOfflineQueue?: boolean } = {}): Redis | Cluster {
  return client.isCluster ? (client as Cluster).duplicate(undefined, options) : (client as Redis).duplicate(options);
}
