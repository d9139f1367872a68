import { connectRedis as connect, type RedisConnection } from '@hotq/queue-core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** Bound on calls that queue-core does not bound itself (presence, progress, quit). */
export const CALL_TIMEOUT_MS = 10_000;

/** How the worker's own connections behave: commands wait for a reconnect (bounded by the callers' timeouts). */
function workerOptions(connectionName: string): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    // Reconnect forever, backing off to one attempt per second.
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    connectionName,
  };
}

/** A connection the worker owns, to one server from its URL. */
export function connectRedis(url: string, connectionName: string): Redis {
  return connect({ kind: 'standalone', url }, workerOptions(connectionName)) as Redis;
}

/** A connection the worker owns, to any deployment (one server, a Cluster, a Sentinel master). */
export function connectDeployment(connection: RedisConnection, connectionName: string): Redis | Cluster {
  return connect(connection, workerOptions(connectionName));
}

// One rule and one bound for every package: queue-core's.
export { isRedisUnavailable as isUnavailable, withTimeout } from '@hotq/queue-core';

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
