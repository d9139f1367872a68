import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Handlers } from './handler-types.js';

/**
 * Where handlers run.
 * `none`: in the worker's main thread (cheapest; right for handlers that mostly wait on I/O).
 * `thread`: in a pool of `concurrency` worker_threads, so a CPU-bound handler cannot stop the
 * heartbeat that keeps its lease (and a handler that ignores its signal can be terminated).
 * @public
 */
export type Isolation = 'none' | 'thread';

/**
 * Options of {@link createWorker}.
 * @public
 */
export interface WorkerOptions {
  /**
   * A connection to use (shared; the worker never closes it): an ioredis client, or an ioredis
   * `Cluster`. Give this or `redisUrl`.
   */
  redis?: Redis | Cluster;
  /** A Redis URL (`redis://host:port/db`, `rediss://` for TLS); the worker opens and closes its connection. */
  redisUrl?: string;
  /** Queue name. Default `jobs`. */
  queue?: string;
  /** Key prefix; keys are `{<prefix>:<queue>}:...`. Default `hotq`. */
  prefix?: string;
  /**
   * Partitions of the queue (1 to 1024), the same as its API's: the worker takes from every
   * partition in turn and, when all are empty, waits for work on one blocking connection. A queue
   * of another count is refused at `start()`. Default 1.
   */
  partitions?: number;
  /**
   * Handlers by job type, in addition to the demo types (and replacing those of the same name).
   * Functions cannot cross into threads: with `isolation: 'thread'` use `handlersModule`.
   */
  handlers?: Handlers;
  /**
   * Path (relative to the working directory) or file: URL of a module whose default export maps job
   * types to handlers. Loaded by the worker, or by each thread with `isolation: 'thread'`.
   */
  handlersModule?: string;
  /** How many jobs run at once at most. Default 1. */
  concurrency?: number;
  /** Lease length; leases of running jobs are renewed every `heartbeatMs`. Default 30 000. */
  leaseMs?: number;
  /** How often leases are renewed and the presence record written. Default `leaseMs / 3`. */
  heartbeatMs?: number;
  /** How long {@link Worker.stop} lets running jobs finish before handing them back. Default 25 000. */
  graceMs?: number;
  /** Where handlers run. Default `none`. */
  isolation?: Isolation;
  /** A pino logger. Default: warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  /** The worker id (letters, digits, ".", "_", "-"; at most 128). Default `<host>-<pid>-<random>`. */
  id?: string;
  /** Retry delays: `baseMs * 2^(attempt - 1)` capped at `maxMs`, half of it random. Default 1 000 and 300 000. */
  backoff?: { baseMs?: number; maxMs?: number };
}

/**
 * Options of {@link Worker.stop}.
 * @public
 */
export interface StopOptions {
  /** How long running jobs may take to finish before they are handed back. Default: the worker's `graceMs`. */
  graceMs?: number;
}

/**
 * Where a worker is in its life.
 * @public
 */
export type WorkerState = 'created' | 'running' | 'stopping' | 'stopped';

/**
 * A running consumer of one queue. See {@link createWorker}.
 * @public
 */
export interface Worker {
  /** The worker id: the consumer name on leases, the `worker` field of its jobs, its presence record. */
  readonly id: string;
  /** The queue it serves. */
  readonly queue: string;
  /** The key prefix. */
  readonly prefix: string;
  /** Where it is in its life. */
  readonly state: WorkerState;
  /** The job types it serves (demo types included). Known once started. */
  readonly types: readonly string[];
  /** Ids of the jobs whose handlers are running now. */
  running(): string[];
  /**
   * Connects, starts the handler threads (with `isolation: 'thread'`) and begins taking jobs. Rejects
   * (with a {@link WorkerError}) only for a handlers module that cannot be loaded or a second start; an
   * unreachable Redis is waited for, not an error.
   */
  start(): Promise<void>;
  /**
   * Stops taking jobs, lets running ones finish within the grace time, then aborts the rest and hands
   * their leases back so another worker takes them at once; writes every outcome still pending,
   * removes the presence record and closes what it opened. Calling it again returns the same promise.
   */
  stop(options?: StopOptions): Promise<void>;
}
