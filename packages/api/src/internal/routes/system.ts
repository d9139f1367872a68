import { statusCounts, type AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { createRedisCall } from '../redis-call.js';
import type { ScrapeSnapshot } from '../metrics.js';
import { buildOpenApiDocument } from '../openapi.js';
import * as op from '../operations.js';
import { route, type Route } from '../route.js';
import { throughputOf } from '../throughput.js';
import { VERSION } from '../version.js';

/** GET /stats, /workers, /healthz, /readyz, /metrics and /openapi.json. */
export function systemRoutes(ctx: AppContext, probeTimeoutMs: number): Route[] {
  const { store, queue, redis, redisCall, metrics } = ctx;
  const probe = createRedisCall(probeTimeoutMs);
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;

  const counts = async (): Promise<ScrapeSnapshot['counts']> => {
    return statusCounts(await redisCall(store.counts(), 'count jobs'));
  };

  return [
    // In parallel: counts, queue stats and worker presence (one round trip each), limits and the
    // per-minute history (two each).
    route(op.getStats, async (_input, _req, res) => {
      const [byStatus, stats, live, limits, history] = await Promise.all([
        counts(), redisCall(queue.stats(), 'queue stats'), redisCall(store.workers(), 'list workers'), redisCall(queue.limits(), 'read limits'),
        redisCall(queue.throughput(), 'read throughput'),
      ]);
      res.json({
        counts: byStatus,
        queue: { ready: stats.ready, delayed: stats.delayed, leased: stats.leased, dead: stats.dead },
        workers: live.length,
        limits,
        throughput: throughputOf(history, stats.totals),
        paused: stats.paused,
      });
    }),

    route(op.listWorkers, async (_input, _req, res) => {
      res.json({ workers: await redisCall(store.workers(), 'list workers') });
    }),

    route(op.healthz, (_input, _req, res) => {
      res.json({ status: 'ok' });
    }),

    route(op.readyz, async (_input, _req, res) => {
      await probe(redis.ping(), 'ping');
      res.json({ status: 'ready' });
    }),

    route(op.metrics, async (_input, _req, res) => {
      let snapshot: ScrapeSnapshot | undefined;
      try {
        const [byStatus, stats, live] = await Promise.all([counts(), redisCall(queue.stats(), 'queue stats'), redisCall(store.workers(), 'list workers')]);
        snapshot = { counts: byStatus, queue: stats, workers: live.length };
      } catch (error) {
        // Redis down: still answer, with hotq_redis_up 0 and this process's own counters.
        if (!(error instanceof ApiError) || error.code !== 'redis_unavailable') throw error;
      }
      res.type(metrics.registry.contentType).send(await metrics.render(snapshot));
    }),

    route(op.openapi, (_input, _req, res) => {
      document ??= buildOpenApiDocument(VERSION);
      res.json(document);
    }),
  ];
}
