import type { Redis } from 'ioredis';
import { presenceKeys } from './_presence.js';

/**
 * A live worker, as its last heartbeat described it.
 * @public
 */
export interface WorkerInfo {
  /** The worker id (also the `worker` field of the jobs it runs). */
  id: string;
  /** Host name of the machine. */
  host: string;
  /** Process id on that host. */
  pid: number;
  /** The queue it serves. */
  queue: string;
  /** How many jobs it runs at once at most. */
  concurrency: number;
  /** `none` (handlers in the main thread) or `thread` (worker_threads). */
  isolation: 'none' | 'thread';
  /** Ids of the jobs it holds right now. */
  running: string[];
  /** When it started (ISO-8601). */
  startedAt: string;
  /** When it last beat (ISO-8601, its own clock). */
  lastBeatAt: string;
  /** The record's time to live; a worker that misses beats for this long disappears. */
  ttlMs: number;
}

/**
 * Options of {@link listWorkers}.
 * @public
 */
export interface ListWorkersOptions {
  /** Key prefix. Default `hotq`. */
  prefix?: string;
  /** Queue name. Default `jobs`. */
  queue?: string;
  /** At most this many workers, most recently beating first. Default 1000. */
  limit?: number;
}

/**
 * The live workers of a queue, most recently beating first: those whose heartbeat record has not
 * expired. Reads only; two round trips.
 *
 * Keys, all in the queue's hash tag: `{<prefix>:<queue>}:workers` (ZSET, worker id to the time of its last beat in ms)
 * and `{<prefix>:<queue>}:worker:<id>` (STRING, the JSON {@link WorkerInfo}, with a TTL).
 * @public
 */
export async function listWorkers(redis: Redis, options: ListWorkersOptions = {}): Promise<WorkerInfo[]> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`options.limit must be a positive integer (received ${String(limit)})`);
  const keys = presenceKeys(options.prefix ?? 'hotq', options.queue ?? 'jobs');
  const ids = await redis.zrevrange(keys.index, 0, limit - 1);
  if (ids.length === 0) return [];
  const records = await redis.mget(ids.map((id) => keys.record(id)));
  const workers: WorkerInfo[] = [];
  for (const record of records) {
    if (record === null) continue;
    try {
      const info = JSON.parse(record) as WorkerInfo;
      if (typeof info === 'object' && info !== null && typeof info.id === 'string') workers.push(info);
    } catch {
      // Not ours or corrupt: skip it rather than fail the whole list.
    }
  }
  return workers;
}
