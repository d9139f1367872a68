import type { Express } from 'express';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Options of {@link createApp}.
 * @public
 */
export interface CreateAppOptions {
  /**
   * The Redis connection for commands. The app never closes it. For an API, create it with
   * `enableOfflineQueue: false`, so that a request made while Redis is down fails at once with 503
   * instead of being sent later (the `hotq-api` command does). An ioredis `Cluster` works too.
   */
  redis: Redis | Cluster;
  /** Key prefix, shared with the workers of the queue. Default `hotq`. */
  prefix?: string;
  /** Queue name, shared with the workers. Default `jobs`. */
  queue?: string;
  /** When set, every route but /healthz and /readyz needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** A second token that may only read (GET routes). Needs `apiToken`; alone, createApp throws. */
  readToken?: string;
  /** Largest accepted request body, as a byte count or a string such as `'1mb'`. Default `'1mb'`. */
  bodyLimit?: string | number;
  /** Where request lines and faults go. Default: a silent logger. */
  logger?: Logger;
  /** How long finished jobs are kept, in ms; must match the workers'. Default: jobs-store's (7 days). */
  retentionMs?: number;
  /**
   * Backpressure: at most this many jobs waiting (queued or delayed). A submission past it is
   * refused atomically inside the put, answered 429 `queue_full` with `Retry-After`. Default: none.
   */
  maxQueued?: number;
  /**
   * Durability: a submission (or batch, or retry) is acknowledged only once this many replicas of
   * the master have it (`WAIT`, in the put's own round trip). Fewer within `waitReplicasTimeoutMs`:
   * 503 `not_replicated` (the job exists on the master; submit again with the same idempotencyKey).
   * Default 0: acknowledged once the master has it.
   */
  waitReplicas?: number;
  /** How long a submission waits for its replicas, in ms; less than `commandTimeoutMs`. Default 1000 (at most half of `commandTimeoutMs`). */
  waitReplicasTimeoutMs?: number;
  /**
   * Partitions of the queue (1 to 1024), the same as its workers': recorded in Redis on first use.
   * On a queue that has another count every write fails (500, logged with both counts); the
   * `hotq-api` command checks at start and refuses to serve. Default 1.
   */
  partitions?: number;
  /** How long one Redis call may take before the request is answered 503. Default 5000 ms. */
  commandTimeoutMs?: number;
  /** Interval of the keep-alive comment on event streams. Default 15 000 ms. */
  keepAliveMs?: number;
}

/**
 * The app {@link createApp} returns: an Express application (mount it, or pass it to
 * `http.createServer`) that also knows how to let go of what it opened.
 * @public
 */
export interface HotqApp extends Express {
  /**
   * Ends open event streams and closes the connections the app opened itself (not the `redis`
   * it was given). Call it when shutting down, before closing the HTTP server.
   */
  close(): Promise<void>;
}
