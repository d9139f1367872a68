// The per-minute history the scripts keep (`tally` in commands/_lib.lua): one hash per minute,
// `<base>:tp:<minute since the epoch>`, with the same fields as the running totals, expiring 65
// minutes after its first count.
import type { Cluster, Redis } from 'ioredis';
import { withTimeout } from './_redis.js';
import type { MinuteCounts } from './task-queue-types.js';

const MINUTE_MS = 60_000;
/** The history kept: a little more than an hour (the hashes expire after 65 minutes). */
export const MAX_HISTORY_MINUTES = 60;

/** The last `minutes` minutes, oldest first, the current (partial) minute last. Two round trips. */
export async function readThroughput(redis: Redis | Cluster, base: string, minutes: number, timeoutMs: number): Promise<MinuteCounts[]> {
  // Redis's clock, which the scripts count by, decides which minute is the current one.
  const [seconds] = await withTimeout(redis.time(), timeoutMs, 'throughput');
  const current = Math.floor((Number(seconds) * 1000) / MINUTE_MS);
  const first = current - minutes + 1;
  const pipeline = redis.pipeline();
  for (let minute = first; minute <= current; minute += 1) pipeline.hgetall(`${base}:tp:${minute}`);
  const replies = (await withTimeout(pipeline.exec(), timeoutMs, 'throughput')) ?? [];
  return replies.map(([error, value], index) => {
    if (error) throw error;
    const counts = (value ?? {}) as Record<string, string>;
    const count = (name: string): number => Number(counts[name] ?? 0);
    return {
      minute: (first + index) * MINUTE_MS,
      put: count('put'), acked: count('acked'), retried: count('retried'),
      dead: count('dead'), expired: count('expired'), released: count('released'),
    };
  });
}
