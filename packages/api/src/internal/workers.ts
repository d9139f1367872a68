import type { Redis } from 'ioredis';

/** A live worker as GET /workers shows it: the presence record its last heartbeat wrote. */
export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  queue: string;
  concurrency: number;
  isolation: string;
  running: string[];
  startedAt: string;
  lastBeatAt: string;
  ttlMs: number;
}

/** At most this many workers are listed (most recent heartbeat first). */
const MAX_WORKERS = 1000;

function toWorker(record: string | null): WorkerInfo | null {
  if (record === null) return null;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(record) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || typeof value.id !== 'string' || typeof value.lastBeatAt !== 'string') return null;
  const text = (key: string): string => (typeof value[key] === 'string' ? (value[key] as string) : '');
  const number = (key: string): number => (typeof value[key] === 'number' ? (value[key] as number) : 0);
  return {
    id: value.id,
    host: text('host'),
    pid: number('pid'),
    queue: text('queue'),
    concurrency: number('concurrency'),
    isolation: text('isolation'),
    running: Array.isArray(value.running) ? value.running.filter((id): id is string => typeof id === 'string') : [],
    startedAt: text('startedAt'),
    lastBeatAt: value.lastBeatAt,
    ttlMs: number('ttlMs'),
  };
}

/**
 * Reads the presence records workers keep in Redis. The layout is the worker package's (we may not
 * import it), and lives in the queue's hash tag:
 *   `{prefix:queue}:workers`      ZSET   worker id -> time of its last beat (ms)
 *   `{prefix:queue}:worker:<id>`  STRING the worker's JSON description, with a TTL its heartbeat renews
 * A worker whose record has expired is gone, whatever the ZSET still says.
 */
export class WorkerDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly keyBase: string,
  ) {}

  /** Live workers, most recent heartbeat first. Two round trips (ids, then their records). */
  async list(): Promise<WorkerInfo[]> {
    const ids = await this.redis.zrevrange(`${this.keyBase}:workers`, 0, MAX_WORKERS - 1);
    if (ids.length === 0) return [];
    const records = await this.redis.mget(ids.map((id) => `${this.keyBase}:worker:${id}`));
    return records.map(toWorker).filter((worker): worker is WorkerInfo => worker !== null);
  }
}
