import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { InvalidArgumentError } from './errors.js';

/**
 * A host and port of a Redis node or sentinel.
 * @public
 */
export interface RedisAddress {
  /** Host name or IP address (an IPv6 address without brackets). */
  host: string;
  /** TCP port, 1 to 65535. */
  port: number;
}

/**
 * Where hotq's commands reach Redis: one server, a Redis Cluster, or the master of a Sentinel
 * deployment. Made by {@link parseRedisConnection} or {@link redisConnectionFromEnv}; opened by
 * {@link connectRedis}.
 * @public
 */
export type RedisConnection =
  | { kind: 'standalone'; url: string }
  | {
    kind: 'cluster';
    /** Seed nodes; the client learns the rest of the cluster from any of them. */
    nodes: RedisAddress[];
    /** The URL whose user, password and TLS (`rediss://`) every node is reached with. */
    url: string;
  }
  | {
    kind: 'sentinel';
    /** The sentinels asked where the master is. */
    sentinels: RedisAddress[];
    /** The master's name as the sentinels know it (`sentinel monitor <name> ...`). */
    name: string;
    /** The URL whose user, password, TLS (`rediss://`) and database the master is reached with. */
    url: string;
    /** The password the sentinels themselves ask for (their `requirepass`), when they ask for one. */
    sentinelPassword?: string;
  };

/**
 * The settings {@link parseRedisConnection} reads, as text, each as its environment variable holds
 * it. Absent or empty means unset.
 * @public
 */
export interface RedisConnectionInput {
  /** `REDIS_URL`: `redis://[user:password@]host:port/db`, `rediss://` for TLS. */
  url?: string | undefined;
  /** `REDIS_CLUSTER_NODES`: `host:port,host:port,...`, seed nodes of a Redis Cluster. */
  clusterNodes?: string | undefined;
  /** `REDIS_SENTINELS`: `host:port,host:port,...`, the sentinels of a Sentinel deployment. */
  sentinels?: string | undefined;
  /** `REDIS_SENTINEL_NAME`: the master's name. Default `mymaster`. */
  sentinelName?: string | undefined;
  /**
   * `REDIS_SENTINEL_PASSWORD`: the sentinels' own password (their `requirepass`), when they have
   * one; the master's and replicas' password is REDIS_URL's.
   */
  sentinelPassword?: string | undefined;
}

/** Where each setting comes from, for messages: the variable and the flag of both commands. */
const SOURCE = {
  url: 'REDIS_URL (--redis-url)',
  clusterNodes: 'REDIS_CLUSTER_NODES (--redis-cluster-nodes)',
  sentinels: 'REDIS_SENTINELS (--redis-sentinels)',
  sentinelName: 'REDIS_SENTINEL_NAME (--redis-sentinel-name)',
  sentinelPassword: 'REDIS_SENTINEL_PASSWORD (--redis-sentinel-password)',
} as const;

const DEFAULT_URL = 'redis://127.0.0.1:6379/0';
const SENTINEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_ADDRESSES = 64;

function text(value: unknown, field: keyof typeof SOURCE): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(SOURCE[field], 'text', value);
  return value;
}

/** The URL with its password hidden, for messages. */
function masked(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(SOURCE.url, 'redis://host:port/db or rediss://host:port/db', masked(value));
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new InvalidArgumentError(SOURCE.url, 'redis://host:port/db or rediss://host:port/db', masked(value));
  }
  return url;
}

/** The database of a redis:// URL's path (`/3`), 0 when absent. */
function database(url: URL): number {
  const path = url.pathname.replace(/^\//, '');
  if (path === '') return 0;
  if (!/^\d{1,5}$/.test(path)) throw new InvalidArgumentError(SOURCE.url, 'a URL whose path is a database number, e.g. redis://host:6379/0', masked(url.href));
  return Number(path);
}

/** `host:port,host:port,...`; IPv6 hosts in brackets (`[::1]:6379`). */
function parseAddresses(value: string, field: 'clusterNodes' | 'sentinels'): RedisAddress[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.length > MAX_ADDRESSES) throw new InvalidArgumentError(SOURCE[field], `at most ${MAX_ADDRESSES} host:port pairs`, `${items.length} of them`);
  return items.map((item) => {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65_535) {
      throw new InvalidArgumentError(SOURCE[field], 'a comma-separated list of host:port (port 1 to 65535; IPv6 as [addr]:port)', item === '' ? 'an empty item' : item);
    }
    return { host: (match[1] ?? match[2]) as string, port };
  });
}

/**
 * Checks the Redis settings of hotq's commands and says which deployment they describe: REDIS_URL
 * alone is one server; REDIS_CLUSTER_NODES a Redis Cluster (REDIS_URL then gives only the user,
 * password and TLS, and may name no database but 0: a cluster has no other); REDIS_SENTINELS the
 * master named REDIS_SENTINEL_NAME (default `mymaster`) of a Sentinel deployment (REDIS_URL gives
 * the user, password, TLS and database of the master). Both cluster nodes and sentinels, a
 * malformed `host:port`, or a sentinel name without sentinels are refused with
 * {@link InvalidArgumentError} naming the variable and its flag. Nothing is connected.
 * @public
 */
export function parseRedisConnection(input: RedisConnectionInput): RedisConnection {
  if (typeof input !== 'object' || input === null) throw new InvalidArgumentError('input', 'an object of Redis settings', input);
  const rawUrl = text(input.url, 'url');
  const url = rawUrl ?? DEFAULT_URL;
  const parsed = parseUrl(url);
  const db = database(parsed);
  const clusterNodes = text(input.clusterNodes, 'clusterNodes');
  const sentinels = text(input.sentinels, 'sentinels');
  const sentinelName = text(input.sentinelName, 'sentinelName');
  const sentinelPassword = text(input.sentinelPassword, 'sentinelPassword');
  if (clusterNodes !== undefined && sentinels !== undefined) {
    throw new InvalidArgumentError(`${SOURCE.clusterNodes} and ${SOURCE.sentinels}`, 'not both set: a deployment is either a Redis Cluster or a Sentinel deployment');
  }
  if (sentinelName !== undefined && sentinels === undefined) {
    throw new InvalidArgumentError(SOURCE.sentinelName, `set only with ${SOURCE.sentinels}`, sentinelName);
  }
  if (sentinelPassword !== undefined && sentinels === undefined) {
    throw new InvalidArgumentError(SOURCE.sentinelPassword, `set only with ${SOURCE.sentinels}`, '(hidden)');
  }
  if (clusterNodes !== undefined) {
    if (db !== 0) throw new InvalidArgumentError(SOURCE.url, 'database 0 or none with a Redis Cluster (a cluster has only database 0)', masked(url));
    return { kind: 'cluster', nodes: parseAddresses(clusterNodes, 'clusterNodes'), url };
  }
  if (sentinels !== undefined) {
    const name = sentinelName ?? 'mymaster';
    if (!SENTINEL_NAME.test(name)) throw new InvalidArgumentError(SOURCE.sentinelName, 'at most 128 letters, digits, ".", "_" or "-"', name);
    return { kind: 'sentinel', sentinels: parseAddresses(sentinels, 'sentinels'), name, url, ...(sentinelPassword === undefined ? {} : { sentinelPassword }) };
  }
  return { kind: 'standalone', url };
}

/**
 * {@link parseRedisConnection} of the variables REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS,
 * REDIS_SENTINEL_NAME and REDIS_SENTINEL_PASSWORD in `env` (default `process.env`).
 * @public
 */
export function redisConnectionFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): RedisConnection {
  return parseRedisConnection({
    url: env.REDIS_URL,
    clusterNodes: env.REDIS_CLUSTER_NODES,
    sentinels: env.REDIS_SENTINELS,
    sentinelName: env.REDIS_SENTINEL_NAME,
    sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
  });
}

/** User, password and TLS of a URL, as ioredis options. */
function credentials(url: URL): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** How long a Sentinel client may go on reconnecting before it starts over. */
const STUCK_MS = 10_000;

/**
 * Makes a Sentinel client that has been reconnecting for 10 s in a row start over (a fresh connect
 * asks the sentinels again). Under load a failover now and then left a client reconnecting for good
 * while other clients of the same deployment came back within seconds. A client its owner closed
 * (`quit`, `disconnect`: status `end`) is left alone, and the check stops with it.
 */
function restartWhenStuck(client: Redis): Redis {
  let since: number | undefined;
  const timer = setInterval(() => {
    const { status } = client;
    if (status === 'end') {
      clearInterval(timer);
      return;
    }
    if (status !== 'reconnecting' && status !== 'connecting' && status !== 'connect') {
      since = undefined;
      return;
    }
    since ??= Date.now();
    if (Date.now() - since < STUCK_MS) return;
    since = Date.now();
    client.disconnect(true);
  }, 1_000);
  timer.unref();
  return client;
}

/** After a failover the old master may still answer as a replica: reconnect, to find the new one. */
function reconnectOnReadonly(error: Error): 1 | false {
  return /^READONLY/.test(error.message) ? 1 : false;
}

/**
 * Opens a client for `connection` with `options` (ioredis client options: offline queue, retries,
 * auto-pipelining, connection name...): an ioredis `Redis` for one server or a Sentinel deployment
 * (it asks the sentinels for the master, and asks again after a failover), an ioredis `Cluster`
 * for a cluster (the options apply to each node's connection; `enableOfflineQueue`,
 * `enableAutoPipelining` and `retryStrategy` to the cluster as a whole). A client that meets a
 * replica where it expected the master (`READONLY`) reconnects.
 * @public
 */
export function connectRedis(connection: RedisConnection, options: RedisOptions = {}): Redis | Cluster {
  const url = parseUrl(connection.url);
  if (connection.kind === 'standalone') return new Redis(connection.url, { reconnectOnError: reconnectOnReadonly, ...options });
  if (connection.kind === 'sentinel') {
    return restartWhenStuck(new Redis({
      ...credentials(url),
      db: database(url),
      sentinels: connection.sentinels,
      name: connection.name,
      ...(connection.sentinelPassword === undefined ? {} : { sentinelPassword: connection.sentinelPassword }),
      // A switch of master announced by the sentinels reconnects at once, not at the next failure.
      failoverDetector: true,
      ...(url.protocol === 'rediss:' ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      reconnectOnError: reconnectOnReadonly,
      ...options,
    }));
  }
  const { enableOfflineQueue, enableAutoPipelining, retryStrategy, ...nodeOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...credentials(url), ...nodeOptions },
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(retryStrategy == null ? {} : { clusterRetryStrategy: (times: number) => retryStrategy(times) }),
  };
  return new Cluster(connection.nodes, clusterOptions);
}

/**
 * The connection for messages and logs: the URL without its password, the seed nodes or the
 * sentinels and master name.
 * @public
 */
export function describeRedisConnection(connection: RedisConnection): string {
  const list = (addresses: readonly RedisAddress[]): string => addresses.map((a) => (a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`)).join(',');
  if (connection.kind === 'cluster') return `cluster ${list(connection.nodes)}`;
  if (connection.kind === 'sentinel') return `sentinel master ${connection.name} via ${list(connection.sentinels)}`;
  return masked(connection.url);
}
