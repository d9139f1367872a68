import { JobsStore, type JobMessage } from '@hotq/jobs-store';
import { duplicateClient, TaskQueue } from '@hotq/queue-core';
import express from 'express';
import type { Cluster, Redis } from 'ioredis';
import { pino } from 'pino';
import type { CreateAppOptions, HotqApp } from './create-app-options.js';
import { authMiddleware, checkAuthConfig, createAuth } from './internal/auth.js';
import type { AppContext } from './internal/context.js';
import { errorHandler, notFoundHandler } from './internal/errors.js';
import { requestLogger } from './internal/logging.js';
import { ApiMetrics } from './internal/metrics.js';
import { createRedisCall } from './internal/redis-call.js';
import { routeFront, type Route } from './internal/route.js';
import { installAnswerHeaders } from './internal/answer-headers.js';
import { batchRoutes } from './internal/routes/batch.js';
import { dashboardRoutes } from './internal/routes/dashboard.js';
import { jobEventRoutes } from './internal/routes/job-events.js';
import { queueEventRoutes } from './internal/routes/queue-events.js';
import { JobFeed } from './internal/job-feed.js';
import { jobRoutes } from './internal/routes/jobs.js';
import { limitRoutes } from './internal/routes/limits.js';
import { scheduleRoutes } from './internal/routes/schedules.js';
import { operatorRoutes } from './internal/routes/operations-routes.js';
import { systemRoutes } from './internal/routes/system.js';

/** A byte count, or a size such as `512kb` or `1mb`. */
function checkBodyLimit(value: string | number): string | number {
  const valid = typeof value === 'number' ? Number.isInteger(value) && value > 0 : /^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i.test(value);
  if (!valid) throw new TypeError(`createApp: bodyLimit must be a positive byte count or a size such as '1mb' (got ${JSON.stringify(value)})`);
  return value;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`createApp: ${name} must be a positive integer (ms)`);
  return value;
}

/**
 * Makes the hotq jobs API: an Express app serving the routes of the HTTP reference
 * (docs/reference/http.md: jobs, results, event streams, cancel, retry, stats, workers, probes,
 * metrics, OpenAPI document) for one queue.
 *
 * Requests are authenticated first (when a token is set), then validated against the zod schemas
 * that also produce /openapi.json; a rejected request writes nothing. Errors are JSON
 * `{ error: { code, message, details? } }`; Redis outages are 503, never a crash.
 *
 * @example
 * ```ts
 * const redis = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false });
 * const app = createApp({ redis, queue: 'jobs' });
 * const server = app.listen(3000);
 * // later: await app.close(); server.close();
 * ```
 * @public
 */
export function createApp(options: CreateAppOptions): HotqApp {
  if (typeof options !== 'object' || options === null) throw new TypeError('createApp: options must be an object');
  const { redis, apiToken, readToken } = options;
  if (typeof redis !== 'object' || redis === null || typeof redis.duplicate !== 'function') {
    throw new TypeError('createApp: options.redis must be an ioredis client or Cluster');
  }
  checkAuthConfig({ apiToken, readToken });
  const prefix = options.prefix ?? 'hotq';
  const queueName = options.queue ?? 'jobs';
  const bodyLimit = checkBodyLimit(options.bodyLimit ?? '1mb');
  const logger = options.logger ?? pino({ level: 'silent' });
  const commandTimeoutMs = positiveInteger('commandTimeoutMs', options.commandTimeoutMs, 5_000);
  const keepAliveMs = positiveInteger('keepAliveMs', options.keepAliveMs, 15_000);
  const partitions = options.partitions ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new TypeError(`createApp: partitions must be an integer from 1 to 1024 (got ${String(partitions)})`);
  }
  const waitReplicas = options.waitReplicas ?? 0;
  if (!Number.isInteger(waitReplicas) || waitReplicas < 0 || waitReplicas > 100) {
    throw new TypeError(`createApp: waitReplicas must be an integer from 0 to 100 (got ${String(waitReplicas)})`);
  }
  // By default at most half the command timeout, so a request still has time to be answered.
  const waitReplicasTimeoutMs = positiveInteger('waitReplicasTimeoutMs', options.waitReplicasTimeoutMs, Math.max(1, Math.min(1_000, Math.floor(commandTimeoutMs / 2))));
  if (waitReplicas > 0 && waitReplicasTimeoutMs >= commandTimeoutMs) {
    // A request is answered 503 after commandTimeoutMs: a longer wait could never be answered.
    throw new TypeError(`createApp: waitReplicasTimeoutMs (${waitReplicasTimeoutMs}) must be less than commandTimeoutMs (${commandTimeoutMs})`);
  }

  // The store's event subscriber is a duplicate of the store's connection and subscribes at once, which a
  // connection without an offline queue refuses while it connects. Such a client (the recommended kind:
  // writes fail fast) gets the store a connection of its own that waits; the store only reads with it
  // (writes go through the queue's scripts on `redis`), so nothing is ever applied late.
  const storeRedis = redis.options.enableOfflineQueue === false ? waitingDuplicate(redis) : undefined;
  storeRedis?.on('error', () => {
    // It reconnects by itself; outages are reported by requests (503) and /readyz.
  });
  let store: JobsStore;
  let writer: JobsStore;
  let queue: TaskQueue<JobMessage>;
  try {
    const storeOptions = {
      prefix, queue: queueName, partitions,
      ...(options.retentionMs === undefined ? {} : { retentionMs: options.retentionMs }),
    };
    store = new JobsStore({ redis: storeRedis ?? redis, ...storeOptions });
    // The store's own writes (deletes, bulk actions) go over the app's connection, like the queue's:
    // one that fails fast never applies a write after its request was answered 503.
    writer = storeRedis ? new JobsStore({ redis, ...storeOptions }) : store;
    queue = new TaskQueue<JobMessage>({
      redis, name: queueName, prefix, partitions, hooks: store.queueHooks(), commandTimeoutMs,
      ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
      ...(waitReplicas === 0 ? {} : { waitReplicas, waitReplicasTimeoutMs }),
    });
  } catch (error) {
    storeRedis?.disconnect();
    throw error;
  }
  const streams = new Set<() => void>();
  const redisCall = createRedisCall(commandTimeoutMs);
  const ctx: AppContext = {
    redis,
    store,
    writer,
    queue,
    logger,
    metrics: new ApiMetrics(() => streams.size, partitions),
    keepAliveMs,
    redisCall,
    streams,
    feed: new JobFeed(store, redisCall, logger),
  };

  const app = express() as HotqApp;
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('json escape', true);
  // Security headers and the request id go onto every answer as its head is written.
  installAnswerHeaders(app.response);
  const logRequest = requestLogger(logger, (req, res, status, seconds) => {
    const route = typeof res.locals.operationId === 'string' ? res.locals.operationId : 'unmatched';
    ctx.metrics.requestDone(route, req.method, status, seconds);
  });
  app.use(logRequest);

  const auth = createAuth({ apiToken, readToken });
  const routes: Route[] = [
    ...jobRoutes(ctx), ...batchRoutes(ctx), ...operatorRoutes(ctx), ...jobEventRoutes(ctx), ...queueEventRoutes(ctx), ...scheduleRoutes(ctx),
    ...systemRoutes(ctx, Math.min(commandTimeoutMs, 2_000)), ...limitRoutes(ctx), ...dashboardRoutes(),
  ];
  for (const { operation, handle } of routes) {
    app[operation.method](operation.path, ...routeFront(operation, bodyLimit, auth), handle);
  }
  // Anything else: authenticate first (an unknown path tells nothing to a stranger), then 404.
  app.use(authMiddleware(auth, {}), notFoundHandler);
  app.use(errorHandler(logger, bodyLimit));

  app.close = async () => {
    for (const close of [...ctx.streams]) close();
    ctx.feed.close();
    await queue.close();
    storeRedis?.disconnect();
  };
  return app;
}

/** A connection like `redis` whose commands wait (offline queue on) while it connects. */
function waitingDuplicate(redis: Redis | Cluster): Redis | Cluster {
  return duplicateClient(redis, { enableOfflineQueue: true });
}
