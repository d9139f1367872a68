import { statusCounts, type AppContext } from '../context.js';
import { ApiError } from '../errors.js';
import { createRedisCall } from '../redis-call.js';
import type { ScrapeSnapshot } from '../metrics.js';
import { buildOpenApiDocument } from '../openapi.js';
import * as op from '../operations.js';
import { route, type Route } from '../route.js';
import { throughputOf } from '../throughput.js';
import { VERSION } from '../version.js';
import { STATUSES } from '../schemas.js';

/** GET /stats, /workers, /healthz, /readyz, /metrics and /openapi.json. */
export function systemRoutes(ctx: AppContext, probeTimeoutMs: number): Route[] {
  const { store, queue, redis, redisCall, metrics } = ctx;
  const probe = createRedisCall(probeTimeoutMs);
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;

  const counts = async (): Promise<ScrapeSnapshot['counts']> => {
    return statusCounts(await redisCall(store.counts(), 'count jobs'));
  };

  // Each partition's counts and depths: one round trip per partition for each, in parallel.
  const partitionBreakdown = async () => {
    const [byStatus, depths] = await Promise.all([redisCall(store.partitionCounts(), 'count jobs'), redisCall(queue.partitionStats(), 'queue stats')]);
    return depths.map((stats, partition) => ({
      partition,
      keyBase: queue.partitions.keyBases[partition] as string,
      counts: Object.fromEntries(STATUSES.map((status) => [status, byStatus[partition]?.[status] ?? 0])),
      queue: { ready: stats.ready, delayed: stats.delayed, leased: stats.leased, dead: stats.dead },
    }));
  };

  return [
    // In parallel: counts, queue stats and worker presence (one round trip each), limits and the
    // per-minute history (two each).
    route(op.getStats, async ({ query }, _req, res) => {
      const [byStatus, stats, live, limits, history, partitions] = await Promise.all([
        counts(), redisCall(queue.stats(), 'queue stats'), redisCall(store.workers(), 'list workers'), redisCall(queue.limits(), 'read limits'),
        redisCall(queue.throughput(), 'read throughput'), query.partitions === 'true' ? partitionBreakdown() : undefined,
      ]);
      res.json({
        counts: byStatus,
        queue: { ready: stats.ready, delayed: stats.delayed, leased: stats.leased, dead: stats.dead },
        workers: live.length,
        limits,
        throughput: throughputOf(history, stats.totals),
        paused: stats.paused,
        partitionCount: queue.partitions.count,
        ...(partitions === undefined ? {} : { partitions }),
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
        const [byStatus, stats, live, partitions] = await Promise.all([
          counts(), redisCall(queue.stats(), 'queue stats'), redisCall(store.workers(), 'list workers'),
          queue.partitions.count > 1 ? redisCall(queue.partitionStats(), 'queue stats') : undefined,
        ]);
        snapshot = { counts: byStatus, queue: stats, workers: live.length, ...(partitions ? { partitions } : {}) };
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
