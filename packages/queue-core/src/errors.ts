/**
 * Base class of every error hotq's queue primitives throw on purpose. `code` is stable and safe to
 * branch on; `message` says what was wrong in words a user can act on.
 * @public
 */
export class QueueError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An argument was missing, of the wrong type or out of range. Nothing was written to Redis.
 * @public
 */
export class InvalidArgumentError extends QueueError {
  /** The name of the offending argument, e.g. `timeout` or `options.delayMs`. */
  readonly argument: string;

  constructor(argument: string, expected: string, received?: unknown) {
    const got = arguments.length >= 3 ? ` (received ${describe(received)})` : '';
    super('invalid_argument', `${argument} must be ${expected}${got}`);
    this.argument = argument;
  }
}

/**
 * Redis did not answer within the allowed time, or the connection is down.
 * @public
 */
export class RedisUnavailableError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('redis_unavailable', message, options);
  }
}

/**
 * A value could not be encoded, or bytes could not be decoded, by a serializer.
 *
 * @remarks
 * When a {@link HotQueue} cannot decode an item it takes, the item has already left Redis
 * (delivery is at most once), so the error carries the item's bytes in `bytes`: a caller that
 * wants to keep them (to a dead-letter list, a file) must do it from here. Its message then also
 * names the format the bytes look like when it is not the one the queue reads, e.g. a pickle
 * arriving at a queue that reads JSON.
 * @public
 */
export class SerializationError extends QueueError {
  /**
   * The bytes that could not be decoded, exactly as Redis held them; `undefined` when encoding
   * failed (nothing was written then).
   */
  readonly bytes: Buffer | undefined;

  constructor(message: string, options?: { cause?: unknown; bytes?: Buffer }) {
    super('serialization_failed', message, options);
    this.bytes = options?.bytes;
  }
}

/** A short, safe description of a received value for error messages (never a whole payload). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`;
}

/**
 * A pickle asked to import, build or call a Python object (opcodes such as GLOBAL, STACK_GLOBAL,
 * REDUCE, INST, OBJ, NEWOBJ, BUILD), which is how a pickle runs code when Python loads it. The
 * pickle serializer refuses the whole item; nothing of it is returned.
 * @public
 */
export class UnsafePickleError extends SerializationError {
  /** Always `unsafe_pickle`, so a caller can tell a hostile payload from a damaged one. */
  override readonly code: string = 'unsafe_pickle';
}

/**
 * A hook's check (`check_put`, or `check_<hook>` for the hook named) refused a message of a put, so
 * the whole put was refused: nothing of it was written, not even the messages before it.
 * @public
 */
export class MessageRefusedError extends QueueError {
  /** The position of the refused message in the batch (0 for a single put). */
  readonly index: number;
  /** What the check answered. */
  readonly reason: string;

  constructor(index: number, reason: string, batchSize: number) {
    const which = batchSize === 1 ? 'the message' : `messages[${index}]`;
    super('message_refused', `${which} was refused by the queue's hooks (${reason}); nothing of this put was written`);
    this.index = index;
    this.reason = reason;
  }
}

/**
 * A put named a dependency that does not exist: not a message of this queue (live, or ended while
 * its hash is kept) and not an earlier message of the same put. Nothing of the put was written.
 * @public
 */
export class DependencyError extends QueueError {
  /** The position of the message in the batch (0 for a single put). */
  readonly index: number;
  /** The dependency that was not found. */
  readonly dependency: string;

  constructor(index: number, dependency: string, batchSize: number) {
    const which = batchSize === 1 ? 'the message' : `messages[${index}]`;
    super('unknown_dependency', `${which} depends on ${dependency}, which is not a message of this queue `
      + '(nor an earlier message of this put); nothing of this put was written');
    this.index = index;
    this.dependency = dependency;
  }
}

/**
 * A put was refused because the queue holds as many waiting messages (ready or delayed) as its
 * `maxQueued` allows: nothing of it was written. Try again once consumers have caught up.
 * @public
 */
export class QueueFullError extends QueueError {
  /** Messages waiting when the put was refused. */
  readonly waiting: number;
  /** The queue's maximum (`maxQueued`). */
  readonly maxQueued: number;

  constructor(waiting: number, maxQueued: number, putting: number) {
    super('queue_full', `the queue is full: ${waiting} messages are waiting and at most ${maxQueued} may be; `
      + `${putting === 1 ? 'this message was' : `these ${putting} messages were`} not added`);
    this.waiting = waiting;
    this.maxQueued = maxQueued;
  }
}

/**
 * A put was applied on the master, but fewer replicas than the queue's `waitReplicas` confirmed it
 * within `waitReplicasTimeoutMs`: the messages exist now, yet a failover before they reach a
 * replica may lose them. Put them again with the same ids (a put of an existing id changes
 * nothing) to wait once more.
 * @public
 */
export class NotReplicatedError extends QueueError {
  /** Replicas that confirmed the put in time. */
  readonly acknowledged: number;
  /** Replicas the queue waits for (`waitReplicas`). */
  readonly wanted: number;
  /** The ids of the messages put. */
  readonly ids: readonly string[];

  constructor(acknowledged: number, wanted: number, timeoutMs: number, ids: readonly string[]) {
    super('not_replicated', `${acknowledged} of the ${wanted} replica${wanted === 1 ? '' : 's'} waited for confirmed the put within ${timeoutMs} ms; `
      + `${ids.length === 1 ? 'the message exists' : `the ${ids.length} messages exist`} on the master but could be lost if it fails now`);
    this.acknowledged = acknowledged;
    this.wanted = wanted;
    this.ids = ids;
  }
}

/**
 * The queue's keys in Redis are in another layout than the one this version of hotq reads and
 * writes (for example, data written by hotq 0.1). Nothing was written: the message names both
 * layouts and the way to upgrade (docs/operations.md, "Upgrading from 0.1").
 * @public
 */
export class LayoutMismatchError extends QueueError {
  /** The layout found in Redis (`1` for hotq 0.1's, which did not record one). */
  readonly found: string;
  /** The layout this version uses. */
  readonly expected: string;

  constructor(keyBase: string, found: string, expected: string) {
    super('layout_mismatch', `the queue ${keyBase} holds keys in layout ${found}${found === '1' ? ' (hotq 0.1)' : ''}, `
      + `but this version of hotq reads and writes layout ${expected}. Drain the queue with the version that wrote it, `
      + `then start this one (docs/operations.md, "Upgrading from 0.1"); nothing was changed.`);
    this.found = found;
    this.expected = expected;
  }
}

/**
 * The queue was created with another number of partitions than this process was given (the
 * `partitions` option, `HOTQ_PARTITIONS`, `--partitions`). Every process of a queue must use the
 * count recorded in Redis: a job id names its partition, and a process with another count would
 * look for jobs where they are not. Nothing was written.
 * @public
 */
export class PartitionMismatchError extends QueueError {
  /** The count recorded in Redis. */
  readonly found: number;
  /** The count this process was given. */
  readonly expected: number;

  constructor(keyBase: string, found: number, expected: number) {
    const partitions = (n: number): string => `${n} partition${n === 1 ? '' : 's'}`;
    super('partition_mismatch', `the queue ${keyBase} has ${partitions(found)}, but this process was started with ${partitions(expected)}: `
      + `start every process of the queue with ${found} (the partitions option, HOTQ_PARTITIONS or --partitions). `
      + 'A queue keeps the count it was created with (docs/operations.md, "Partitioned queues"); nothing was changed.');
    this.found = found;
    this.expected = expected;
  }
}

/**
 * A put on a partitioned queue went to several partitions, one atomic call each, and some of them
 * failed while others were applied: the messages at `written` exist, those at `failed` do not (or,
 * for a `NotReplicatedError`, exist on the master only). `cause` is the first failure (a
 * {@link QueueFullError}, {@link MessageRefusedError}, {@link RedisUnavailableError}, ...). Putting the
 * `failed` ones again is safe; putting all again is safe too, since an existing id changes nothing.
 * @public
 */
export class PartialPutError extends QueueError {
  /** Positions in the batch of the messages that were written. */
  readonly written: readonly number[];
  /** Positions in the batch of the messages that were not. */
  readonly failed: readonly number[];

  constructor(written: readonly number[], failed: readonly number[], cause: unknown) {
    super('partial_put', `${written.length} of the ${written.length + failed.length} messages were written and ${failed.length} were not `
      + `(their partitions refused or did not answer: ${(cause as Error)?.message ?? String(cause)})`, { cause });
    this.written = written;
    this.failed = failed;
  }
}
