// Worker presence: one record per live worker, kept alive by its heartbeat.
//
// Keys (all in the queue's hash tag, so they sit in the queue's Redis Cluster slot):
//   {<prefix>:<queue>}:worker:<id>   STRING  JSON WorkerInfo, written with PX <ttlMs> on every beat
//   {<prefix>:<queue>}:workers       ZSET    worker id -> time of its last beat (ms, the worker's clock)
// A record that is not renewed expires with its TTL: the worker is gone. Ids whose record has expired
// are skipped by readers and pruned from the ZSET by any beating worker after PRUNE_AFTER_MS.
import type { Redis } from 'ioredis';
import { withTimeout } from './_redis.js';
import type { WorkerInfo } from './list-workers.js';

/** How long a dead worker's id may stay in the ZSET (readers skip it meanwhile). */
const PRUNE_AFTER_MS = 60 * 60 * 1000;

export interface PresenceKeys {
  /** The ZSET of worker ids by last beat. */
  readonly index: string;
  /** The record key of one worker. */
  record(id: string): string;
}

export function presenceKeys(prefix: string, queue: string): PresenceKeys {
  const base = `{${prefix}:${queue}}`;
  return { index: `${base}:workers`, record: (id) => `${base}:worker:${id}` };
}

/** Writes the record with its TTL and bumps the id in the index: one pipeline, idempotent. */
export async function writePresence(redis: Redis, keys: PresenceKeys, info: WorkerInfo, timeoutMs: number): Promise<void> {
  const now = Date.parse(info.lastBeatAt);
  const results = await withTimeout(
    redis
      .pipeline()
      .set(keys.record(info.id), JSON.stringify(info), 'PX', info.ttlMs)
      .zadd(keys.index, now, info.id)
      .zremrangebyscore(keys.index, '-inf', now - PRUNE_AFTER_MS)
      .exec(),
    timeoutMs,
    'the worker heartbeat',
  );
  for (const [error] of results ?? []) if (error) throw error;
}

/** Removes the record and the index entry (a worker stopping cleanly). */
export async function removePresence(redis: Redis, keys: PresenceKeys, id: string, timeoutMs: number): Promise<void> {
  const results = await withTimeout(redis.pipeline().del(keys.record(id)).zrem(keys.index, id).exec(), timeoutMs, 'removing the worker record');
  for (const [error] of results ?? []) if (error) throw error;
}
