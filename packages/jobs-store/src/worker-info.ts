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
