import type { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, QueueError, RedisUnavailableError } from './errors.js';
import { createRedis, DEFAULT_COMMAND_TIMEOUT_MS, withTimeout } from './_redis.js';
import { dumpsItem, loadsItem, resolveSerializer } from './serializers/_resolve.js';
import type { Serializer, SerializerName } from './serializers/serializer.js';

/**
 * Where a {@link HotQueue} keeps its items and how it encodes them.
 * @public
 */
export interface HotQueueOptions {
  /**
   * A connection to use for RPUSH, LLEN and DEL. The queue does not close it. Items are taken on
   * duplicates of it that the queue opens and closes. Give either `redis` or `url`.
   */
  redis?: Redis;
  /** A Redis URL (`redis://host:port/db`); the queue opens the connection and `close()` quits it. */
  url?: string;
  /** `"json"` (the default), `"pickle"`, `"raw"` or your own serializer. */
  serializer?: SerializerName | Serializer;
  /** How long a single non-blocking command may take before it fails with `RedisUnavailableError`. Default 10 000 ms. */
  commandTimeoutMs?: number;
}

/**
 * Options of {@link HotQueue.get}.
 * @public
 */
export interface HotQueueGetOptions {
  /** Wait for an item when the queue is empty (BLPOP). Default `false`. */
  block?: boolean;
  /** With `block`: seconds to wait (fractions allowed) before giving `null`. `0` or absent: forever. */
  timeout?: number;
}

/**
 * Options of {@link HotQueue.consume} and `HotQueue.worker`.
 * @public
 */
export interface HotQueueConsumeOptions {
  /** Wait for items (BLPOP). Default `true`; with `false` the iteration ends when the queue is empty. */
  block?: boolean;
  /** With `block`: seconds to wait for the next item before ending. `0` or absent: forever. */
  timeout?: number;
  /** Ends the iteration, interrupting a wait in progress. */
  signal?: AbortSignal;
}

/**
 * A function made by `HotQueue.worker`: it consumes the queue, calling the wrapped function
 * with its own arguments followed by the item, until the iteration ends or the function throws.
 * @public
 */
export type HotQueueWorker<A extends unknown[]> = (...args: A) => Promise<void>;

// A wait with no timeout is a series of server-side waits of this length, each bounded on the
// client too, so a connection that died silently is noticed instead of waited on forever.
const BLOCK_SLICE_MS = 5_000;
const MAX_NAME_LENGTH = 1024;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * A FIFO queue in one Redis list, `hotqueue:<name>`: a port of Python `hotqueue` 0.2.8 that shares
 * queues with it on the wire (choose the serializer the Python side uses; Python's default is pickle).
 *
 * @remarks
 * Delivery is at most once, as in hotqueue: an item is removed from Redis when it is handed out,
 * so a consumer that dies (or is aborted, or loses its connection at that instant) while holding an
 * item loses it. A `put` that fails with `RedisUnavailableError` may or may not have been applied,
 * and may still be applied when the connection comes back (ioredis keeps commands sent while it is
 * reconnecting), so putting the items again may duplicate them. Items are taken only on
 * connections of the queue's own, dropped whenever a take fails, so a take that gave up is never
 * replayed later to remove an item nobody receives.
 * For delivery that survives crashes (leases, retries, dead letters) use {@link TaskQueue}.
 *
 * Round trips: `put` 1 (any number of items), `get` 1, `length` 1, `clear` 1.
 * @public
 */
export class HotQueue {
  /** The queue name. */
  readonly name: string;
  /** The Redis key of the list, `hotqueue:<name>`. */
  readonly key: string;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly serializer: Serializer;
  private readonly timeoutMs: number;
  // Connections that take items (LPOP, BLPOP): one per concurrent take, since BLPOP holds its
  // connection until it returns, and dropped when a take fails (see pop()).
  private readonly idleTakers: Redis[] = [];
  private readonly busyTakers = new Set<Redis>();
  private closed = false;

  /**
   * @param name - the queue name; the key is `hotqueue:<name>` as in Python.
   * @param options - the connection (`redis` or `url`), the serializer and the command timeout.
   * @throws `InvalidArgumentError` for an empty or malformed name or bad options.
   */
  constructor(name: string, options: HotQueueOptions) {
    // Python accepts any name; we refuse only what cannot be a sensible key part.
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || hasControlCharacter(name)) {
      throw new InvalidArgumentError('name', `a non-empty string of at most ${MAX_NAME_LENGTH} characters without control characters`, name);
    }
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', options);
    const { redis, url } = options;
    if ((redis === undefined) === (url === undefined)) {
      throw new InvalidArgumentError('options', 'an object with either `redis` (an ioredis client) or `url`, not both');
    }
    if (redis !== undefined && (typeof redis !== 'object' || redis === null || typeof redis.duplicate !== 'function')) {
      throw new InvalidArgumentError('options.redis', 'an ioredis client', redis);
    }
    if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
      throw new InvalidArgumentError('options.url', 'a redis:// or rediss:// URL', url);
    }
    const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidArgumentError('options.commandTimeoutMs', 'a positive number of milliseconds', timeoutMs);
    }
    this.serializer = resolveSerializer(options.serializer);
    this.name = name;
    this.key = `hotqueue:${name}`;
    this.timeoutMs = timeoutMs;
    this.ownsConnection = redis === undefined;
    this.redis = redis ?? quiet(createRedis(url as string));
  }

  /**
   * Appends items to the queue in one RPUSH: all of them, in order, or none.
   * @param items - one or more items; every one is encoded before anything is sent.
   * @throws `InvalidArgumentError` when no item is given; `SerializationError` when the serializer
   * cannot encode one (nothing is written); `RedisUnavailableError`.
   */
  async put(...items: unknown[]): Promise<void> {
    this.assertOpen();
    if (items.length === 0) throw new InvalidArgumentError('items', 'at least one item', items);
    const payloads = items.map((item, index) => dumpsItem(this.serializer, item, index));
    await withTimeout(this.redis.rpush(this.key, ...payloads), this.timeoutMs, `RPUSH ${this.key}`);
  }

  /**
   * Takes the first item: LPOP, or with `block` BLPOP, on a connection of the queue's own.
   * @returns the decoded item, or `null` when the queue is empty or the wait timed out (an item that
   * decodes to `null` looks the same, as in Python).
   * @throws `InvalidArgumentError` for bad options; `SerializationError` when the item cannot be
   * decoded (it is gone from the queue); `RedisUnavailableError`.
   */
  async get(options: HotQueueGetOptions = {}): Promise<unknown> {
    const { block, timeout } = checkWaitOptions(options, false);
    return await this.take(block, timeout);
  }

  /** The number of items in the queue (LLEN). */
  async length(): Promise<number> {
    this.assertOpen();
    return await withTimeout(this.redis.llen(this.key), this.timeoutMs, `LLEN ${this.key}`);
  }

  /** Deletes the queue and every item in it (DEL). */
  async clear(): Promise<void> {
    this.assertOpen();
    await withTimeout(this.redis.del(this.key), this.timeoutMs, `DEL ${this.key}`);
  }

  /**
   * Yields items as they arrive, like Python's `for item in queue.consume()`. The iteration ends at
   * the first `null` (an empty queue without `block`, a timeout, or a `null` item: a poison pill),
   * when `signal` aborts (a wait in progress is interrupted at once) or when the queue is closed.
   * While Redis is unreachable it keeps retrying with backoff and resumes when Redis is back.
   * @throws `InvalidArgumentError` for bad options (at once); the iteration throws
   * `SerializationError` for an item that cannot be decoded.
   */
  consume(options: HotQueueConsumeOptions = {}): AsyncGenerator<unknown, void, undefined> {
    const { block, timeout, signal } = checkWaitOptions(options, true);
    return this.iterate(block, timeout, signal);
  }

  /**
   * Makes a worker, as Python's `@queue.worker` decorator does: `worker(fn)` or
   * `worker(options)(fn)`. Calling the worker consumes the queue (see {@link HotQueue.consume}),
   * awaiting `fn(...args, item)` for each item; it resolves when the iteration ends and rejects with
   * the first error `fn` throws, which ends it.
   */
  worker<A extends unknown[]>(fn: (...args: [...A, unknown]) => unknown): HotQueueWorker<A>;
  /**
   * `worker(options)(fn)`: the same, consuming with `options` (`block` defaults to `true`), as
   * Python's `@queue.worker(timeout=1)`.
   * @throws `InvalidArgumentError` for bad options (at once).
   */
  worker(options?: HotQueueConsumeOptions): <A extends unknown[]>(fn: (...args: [...A, unknown]) => unknown) => HotQueueWorker<A>;
  worker<A extends unknown[]>(
    fnOrOptions?: ((...args: [...A, unknown]) => unknown) | HotQueueConsumeOptions,
  ): HotQueueWorker<A> | ((fn: (...args: [...A, unknown]) => unknown) => HotQueueWorker<A>) {
    const wrap = (fn: (...args: [...A, unknown]) => unknown, options: HotQueueConsumeOptions): HotQueueWorker<A> => {
      if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn);
      checkWaitOptions(options, true);
      return async (...args: A): Promise<void> => {
        for await (const item of this.consume(options)) await fn(...args, item);
      };
    };
    if (typeof fnOrOptions === 'function') return wrap(fnOrOptions, {});
    const options = fnOrOptions ?? {};
    checkWaitOptions(options, true);
    return (fn: (...args: [...A, unknown]) => unknown) => wrap(fn, options);
  }

  /**
   * Closes the connections this queue opened: those of blocking waits (which ends them, and ends
   * consumers) and, when it was made from a `url`, its own. A connection passed as `redis` stays open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of [...this.idleTakers, ...this.busyTakers]) connection.disconnect();
    this.idleTakers.length = 0;
    this.busyTakers.clear();
    if (!this.ownsConnection) return;
    try {
      await withTimeout(this.redis.quit(), this.timeoutMs, 'QUIT');
    } catch {
      // Redis is away: dropping the socket is all that is left to do.
    } finally {
      this.redis.disconnect();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new QueueError('queue_closed', `HotQueue ${JSON.stringify(this.name)} is closed`);
  }

  private async take(block: boolean, timeout: number, signal?: AbortSignal): Promise<unknown> {
    this.assertOpen();
    const bytes = block ? await this.blockingPop(timeout, signal) : await this.pop(undefined, signal);
    return bytes === null ? null : loadsItem(this.serializer, bytes);
  }

  private async *iterate(block: boolean, timeout: number, signal: AbortSignal | undefined): AsyncGenerator<unknown, void, undefined> {
    let retryMs = RETRY_FIRST_MS;
    while (!signal?.aborted && !this.closed) {
      let item: unknown;
      try {
        item = await this.take(block, timeout, signal);
      } catch (error) {
        if (signal?.aborted || this.closed) return;
        if (!(error instanceof RedisUnavailableError)) throw error;
        // Redis is away: wait and try again; ioredis reconnects meanwhile.
        try {
          await sleep(retryMs, undefined, { signal });
        } catch {
          return; // aborted while waiting
        }
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        continue;
      }
      retryMs = RETRY_FIRST_MS;
      if (item === null) return;
      yield item; // even after an abort: the item has left Redis and would otherwise be lost
    }
  }

  /** BLPOP for up to `timeout` seconds (0: forever), in slices each bounded on the client too. */
  private async blockingPop(timeout: number, signal?: AbortSignal): Promise<Buffer | null> {
    const deadline = timeout === 0 ? Infinity : Date.now() + timeout * 1000;
    for (;;) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) return null;
      // Whole milliseconds, at least 1: a BLPOP timeout of 0 would mean forever.
      const sliceMs = Math.max(1, Math.ceil(Math.min(leftMs, BLOCK_SLICE_MS)));
      const reply = await this.pop(sliceMs, signal);
      if (reply !== null) return reply;
    }
  }

  /**
   * One LPOP (`sliceMs` undefined) or one BLPOP of `sliceMs`, on a taker connection. A take that
   * fails (timeout, lost connection, abort) drops its connection: ioredis would otherwise send the
   * command again once it reconnects, and that late pop would remove an item nobody receives.
   */
  private async pop(sliceMs: number | undefined, signal?: AbortSignal): Promise<Buffer | null> {
    if (signal?.aborted) throw new QueueError('aborted', 'the wait was aborted');
    // Takers get an offline queue whatever the original says: a fresh connection is not ready yet.
    // A taker is only ever dropped, never closed politely, and Redis lets go of a dropped socket at
    // once; ioredis's default would keep it, and so the process, alive 2 s more (disconnectTimeout),
    // which made a consumer stopped with Ctrl-C exit 2 s late.
    const connection =
      this.idleTakers.pop() ??
      quiet(this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, disconnectTimeout: 0 }));
    this.busyTakers.add(connection);
    // Dropping the connection is also the only way to interrupt a BLPOP in progress.
    const interrupt = (): void => connection.disconnect();
    signal?.addEventListener('abort', interrupt, { once: true });
    try {
      const bytes =
        sliceMs === undefined
          ? await withTimeout(connection.lpopBuffer(this.key), this.timeoutMs, `LPOP ${this.key}`)
          : await withTimeout(
              connection.blpopBuffer(this.key, (sliceMs / 1000).toFixed(3)),
              sliceMs + this.timeoutMs,
              `BLPOP ${this.key}`,
            ).then((reply) => (reply === null ? null : reply[1]));
      this.busyTakers.delete(connection);
      if (this.closed) connection.disconnect();
      else this.idleTakers.push(connection);
      return bytes;
    } catch (error) {
      this.busyTakers.delete(connection);
      connection.disconnect();
      this.assertOpen(); // closed meanwhile: say so, rather than "connection is closed"
      throw error;
    } finally {
      signal?.removeEventListener('abort', interrupt);
    }
  }
}

/**
 * Without an 'error' listener ioredis prints every failed reconnect attempt. On connections we open,
 * failures reach the caller through the commands instead (RedisUnavailableError).
 */
function quiet(connection: Redis): Redis {
  connection.on('error', () => {});
  return connection;
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x20 || unit === 0x7f) return true;
  }
  return false;
}

function checkWaitOptions(options: HotQueueConsumeOptions, blockByDefault: boolean): { block: boolean; timeout: number; signal: AbortSignal | undefined } {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', options);
  const { block = blockByDefault, timeout = 0, signal } = options;
  if (typeof block !== 'boolean') throw new InvalidArgumentError('options.block', 'a boolean', block);
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError('options.timeout', 'a number of seconds, 0 or more (0: wait forever)', timeout);
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgumentError('options.signal', 'an AbortSignal', signal);
  return { block, timeout, signal };
}
