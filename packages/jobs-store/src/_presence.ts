// Worker presence: one record per live worker, kept alive by its heartbeat. The worker writes it
// and the API lists it; both go through JobsStore so the layout lives in one place.
//
// Keys (in the queue's hash tag, so they sit in the queue's Redis Cluster slot):
//   <base>:worker:<id>   STRING  JSON WorkerInfo, written with PX <ttlMs> on every beat
//   <base>:workers       ZSET    worker id -> time of its last beat (ms, the worker's clock)
// A record that is not renewed expires with its TTL: the worker is gone. Ids whose record expired
// are skipped by readers and pruned from the ZSET by any beating worker after PRUNE_AFTER_MS.
import type { Cluster, Redis } from 'ioredis';
import type { WorkerInfo } from './worker-info.js';

const PRUNE_AFTER_MS = 60 * 60 * 1000;

const indexKey = (base: string): string => `${base}:workers`;
const recordKey = (base: string, id: string): string => `${base}:worker:${id}`;

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
}

/** Writes the record with its TTL and bumps the id in the index: one pipeline, idempotent. */
export async function writePresence(redis: Redis | Cluster, base: string, info: WorkerInfo): Promise<void> {
  const now = Date.parse(info.lastBeatAt);
  await exec(redis.pipeline()
    .set(recordKey(base, info.id), JSON.stringify(info), 'PX', info.ttlMs)
    .zadd(indexKey(base), now, info.id)
    .zremrangebyscore(indexKey(base), '-inf', now - PRUNE_AFTER_MS));
}

/** Removes the record and the index entry (a worker stopping cleanly). */
export async function removePresence(redis: Redis | Cluster, base: string, id: string): Promise<void> {
  await exec(redis.pipeline().del(recordKey(base, id)).zrem(indexKey(base), id));
}

/** Live workers, most recent beat first. Two round trips (ids, then their records). */
export async function readPresence(redis: Redis | Cluster, base: string, limit: number): Promise<WorkerInfo[]> {
  const ids = await redis.zrevrange(indexKey(base), 0, limit - 1);
  if (ids.length === 0) return [];
  const records = await redis.mget(ids.map((id) => recordKey(base, id)));
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
