import type { Cluster, Redis } from 'ioredis';

/**
 * Turns payloads into strings stored in Redis and back. The default is JSON.
 * @public
 */
export interface Codec<T> {
  /** Encodes a payload; throw to refuse a value that cannot be represented. */
  encode(value: T): string;
  /** Decodes a stored payload; a throw dead-letters the message instead of looping on it. */
  decode(text: string): T;
}

/**
 * Options of a {@link TaskQueue}.
 * @public
 */
export interface TaskQueueOptions<T> {
  /**
   * The connection for commands: an ioredis client, or an ioredis `Cluster` (every key of a queue
   * shares one hash tag, so each script runs on one node). It may be shared; the queue never closes it.
   */
  redis: Redis | Cluster;
  /** The queue name: letters, digits, ".", "_", "-" (at most 128). */
  name: string;
  /** Key prefix; keys are `{<prefix>:<name>}:...`. Default `hotq`. */
  prefix?: string;
  /**
   * A Lua chunk that returns a table of hook functions run inside the queue's scripts (see
   * docs/decisions/0001-composing-queue-and-records.md). Used to keep other records in step with
   * the queue atomically. Its `after` function, if any, runs once at the end of every script call.
   */
  hooks?: string;
  /** How long a reservation lasts unless extended. Default 30 000 ms. */
  leaseMs?: number;
  /** Attempts before a message is dead-lettered, unless set per message. Default 3. */
  maxAttempts?: number;
  /** How long dead letters are kept. Default 7 days. */
  deadRetentionMs?: number;
  /** Payload codec. Default JSON. */
  codec?: Codec<T>;
  /** How long any call may wait for Redis before it rejects with `RedisUnavailableError`. Default 10 s. */
  commandTimeoutMs?: number;
}

/**
 * Options of {@link TaskQueue.put}.
 * @public
 */
export interface PutOptions {
  /** The message id (letters, digits, "_", "-"); a time-sortable id is made when absent. Putting an existing id again changes nothing. */
  id?: string;
  /** Deliver no sooner than this many ms from now. */
  delayMs?: number;
  /** Attempts before dead-lettering, for this message. */
  maxAttempts?: number;
  /** Strings handed to the hook as `ctx.vars`. */
  vars?: Record<string, string>;
  /** Run this hook instead of `put`. */
  hook?: string;
}

/**
 * What became of one put.
 * @public
 */
export interface PutResult {
  /** The message id. */
  id: string;
  /** `queued` or `delayed` when added; `exists` when the id was already there; `refused` by the hook. */
  outcome: 'queued' | 'delayed' | 'exists' | 'refused';
  /** The hook's answer when refused (for example the id of an earlier message). */
  refusal?: string;
}

/**
 * A held reservation: the message id and the token that fences every later step.
 * @public
 */
export interface Lease {
  /** The message id. */
  readonly id: string;
  /** The lease token; steps with an older token are refused. */
  readonly token: string;
}

/**
 * A message handed to a consumer.
 * @public
 */
export interface ReservedMessage<T> extends Lease {
  /** The decoded payload. */
  readonly payload: T;
  /** Which attempt this is, starting at 1. */
  readonly attempt: number;
  /** Attempts allowed before dead-lettering. */
  readonly maxAttempts: number;
}

/**
 * An acknowledgement to apply, alone or piggy-backed on a reserve.
 * @public
 */
export interface AckRequest {
  /** The lease being completed. */
  lease: Lease;
  /** Strings for the hook (`ctx.vars`), e.g. the result. */
  vars?: Record<string, string>;
  /** Run this hook instead of `ack` (e.g. `cancel`). */
  hook?: string;
}

/**
 * Options of {@link TaskQueue.reserve}.
 * @public
 */
export interface ReserveOptions {
  /** At most this many messages. Default 1. */
  count?: number;
  /** Lease length for these messages. Default: the queue's. */
  leaseMs?: number;
  /** Who is taking them (shown to hooks and in the message). */
  consumer?: string;
  /** When nothing is ready, wait up to this long for a message. Default 0 (do not wait). */
  waitMs?: number;
  /** Acknowledgements to apply first, in the same round trip. */
  acks?: AckRequest[];
  /** Aborting stops a wait early. */
  signal?: AbortSignal;
}

/**
 * The answer of {@link TaskQueue.reserve}.
 * @public
 */
export interface ReserveResult<T> {
  /** The leased messages, oldest first. */
  messages: ReservedMessage<T>[];
  /** For each piggy-backed ack, whether it was applied (false: stale token). */
  acked: boolean[];
}

/**
 * Options of {@link TaskQueue.nack}.
 * @public
 */
export interface NackOptions {
  /** Retry no sooner than this many ms from now. Default 0. */
  delayMs?: number;
  /** Dead-letter now, whatever attempts are left. */
  dead?: boolean;
  /** Why it failed; kept with a dead letter. */
  reason?: string;
  /** Strings for the hook. */
  vars?: Record<string, string>;
}

/**
 * One lease's fate after {@link TaskQueue.extend}.
 * @public
 */
export interface ExtendResult {
  /** The message id. */
  id: string;
  /** Still held (and renewed); false when the token is stale or the lease is gone. */
  held: boolean;
  /** Somebody asked for this message to stop (see {@link TaskQueue.remove}). */
  cancelRequested: boolean;
}

/**
 * What became of {@link TaskQueue.remove}.
 * @public
 */
export interface RemoveResult {
  /**
   * `removed` from ready or delayed; `cancel-requested` when leased (its consumer learns it at its next
   * heartbeat); `refused` by the hook; `dead` when dead-lettered; `missing` when unknown.
   */
  outcome: 'removed' | 'cancel-requested' | 'refused' | 'dead' | 'missing';
  /** The hook's answer when refused. */
  refusal?: string;
}

/**
 * Counts and totals of one queue.
 * @public
 */
export interface QueueStats {
  /** Messages waiting to be taken. */
  ready: number;
  /** Messages waiting for their delay to end. */
  delayed: number;
  /** Messages held by consumers. */
  leased: number;
  /** Dead letters kept. */
  dead: number;
  /** Whether consumers are paused. */
  paused: boolean;
  /** Running totals since the queue was created. */
  totals: { put: number; acked: number; retried: number; dead: number; expired: number; released: number };
}

/**
 * A dead-lettered message.
 * @public
 */
export interface DeadLetter<T> {
  /** The message id. */
  id: string;
  /** The decoded payload, or the raw text when it cannot be decoded. */
  payload: T | string;
  /** Attempts it used. */
  attempts: number;
  /** Why it died. */
  reason: string;
  /** When, in ms since the epoch (Redis time). */
  diedAt: number;
}
