import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorFields } from './_logger.js';
import type { ResolvedOptions } from './_options.js';
import { connectRedis, evictionPolicy, withTimeout } from './_redis.js';
import { IDLE_WAIT_MS } from './_reserve-lanes.js';

/**
 * The worker's Redis connection, given (`options.redis`) or its own (`options.redisUrl`), and
 * whether Redis can be reached: an outage is logged once when it begins and once when it ends,
 * however many calls fail meanwhile.
 */
export class Connection {
  /** The connection every call of the worker goes through. */
  readonly redis: Redis | Cluster;
  /** Made from `options.redisUrl`, so the worker closes it when it stops (a given one stays open). */
  private readonly owned: boolean;
  private down = false;

  constructor(
    options: Pick<ResolvedOptions, 'redis' | 'redisUrl' | 'id'>,
    private readonly log: Logger,
  ) {
    if (options.redis !== undefined) {
      this.redis = options.redis;
      this.owned = false;
    } else {
      this.redis = connectRedis(options.redisUrl as string, `hotq-worker:${options.id}`);
      this.owned = true;
      // Each failed reconnection attempt emits an error; the outage is reported once (below).
      this.redis.on('error', (error: Error) => this.log.debug(errorFields(error), 'Redis connection error'));
    }
    this.redis.on('reconnecting', this.onReconnecting);
    this.redis.on('ready', this.onReady);
  }

  /** Whether commands can be sent now (a queued command could run long after its caller gave up). */
  connected(): boolean {
    const status = this.redis.status;
    return status === 'ready' || status === 'wait';
  }

  /**
   * Connecting, or reconnecting (reported by the connection's events): commands sent now would wait
   * in the client's offline queue and could run long after their caller gave up. Resolves on
   * `ready`, after IDLE_WAIT_MS, or when `signal` aborts.
   */
  untilReady(signal: AbortSignal): Promise<void> {
    if (this.redis.status === 'end') this.log.error('the Redis connection was closed for good; this worker cannot take jobs');
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_WAIT_MS);
      this.redis.on('ready', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private readonly onReconnecting = (): void => this.noteUnavailable();
  private readonly onReady = (): void => this.noteAvailable();

  /** Redis could not be reached (`error`: the call that found out); logged if an outage begins. */
  noteUnavailable(error?: unknown): void {
    if (this.down) return;
    this.down = true;
    this.log.warn(error === undefined ? {} : errorFields(error), 'Redis is unreachable; retrying until it is back');
  }

  /** Redis answered; logged if an outage ends. */
  noteAvailable(): void {
    if (!this.down) return;
    this.down = false;
    this.log.warn('Redis is reachable again; resuming');
  }

  /** Warns when Redis may evict keys under memory pressure; never throws. */
  async warnOnEviction(): Promise<void> {
    try {
      const policy = await evictionPolicy(this.redis);
      if (policy !== null && policy !== 'noeviction') {
        this.log.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis may evict queued jobs and job records, and no queue can promise anything then. Set maxmemory-policy noeviction.`,
        );
      }
    } catch (error) {
      this.log.debug(errorFields(error), 'could not read Redis maxmemory-policy');
    }
  }

  /** Closes the connection if the worker made it, and stops listening to its events either way. */
  async close(): Promise<void> {
    if (this.owned && !this.connected()) {
      this.redis.disconnect();
    } else if (this.owned) {
      try {
        await withTimeout(this.redis.quit(), 1_000, 'QUIT');
      } catch {
        this.redis.disconnect();
      }
    }
    this.redis.off('reconnecting', this.onReconnecting);
    this.redis.off('ready', this.onReady);
  }
}
