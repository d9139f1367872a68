/**
 * The hook contract between a TaskQueue and the records kept beside its messages (jobs-store's job
 * records, or your own): Lua functions the queue's functions call at each step of a message's life,
 * inside the same atomic call, so that queue and records never disagree.
 *
 * The hooks chunk is Lua that returns a table of functions. Each is called as `HOOKS[name](id, ctx)`
 * with the message id and a {@link HookContext}; the queue has done its own reads and checks (the
 * lease token) first and does its own writes after the hook. A chunk defines only the hooks it needs.
 *
 * One hash per message, `<key base>:job:<id>`, holds the queue's fields ({@link MESSAGE_FIELDS},
 * upper case) and the hooks' record of it (lower-case field names, the hooks' own). Two more entries
 * of the table tune that sharing:
 *
 * - `keep_records = true`: when a message ends (acked, cancelled, removed) its hash, and its payload
 *   key `<key base>:payload:<id>` when the payload is longer than 64 bytes, stay as the hooks' record,
 *   marked ended (`E`); the hooks expire or delete them. Without it the queue deletes them.
 * - `fields = { ... }`: the hooks' fields that every lease step (reserve, ack, nack, expire, release,
 *   remove) reads in the queue's own read of the hash, handed over as `ctx.record`.
 *
 * A hook writes its fields of the hash by appending `field, value` pairs to `ctx.writes`: the queue
 * writes them in its own HSET of the step, so a step writes the hash once.
 */

/**
 * The hooks a TaskQueue calls by itself, in the order of a message's life. A put, an ack and a remove
 * may name another hook instead of `put`, `ack` and `remove` (the `hook` option), and the put's
 * `check_<name>` is called for every message before anything is written.
 * @public
 */
export const HOOK_NAMES = [
  /** Every call, first: `before(now)`; clears state kept from the previous call. */
  'before',
  /**
   * put, before any write, per message: returns nil, or why the whole put is refused. Also called
   * when a schedule is set, with the vars its occurrences will carry.
   */
  'check_put',
  /**
   * put, per new message, and per occurrence a schedule makes (ctx.schedule): may refuse the message
   * by returning a string (its outcome `refused`).
   */
  'put',
  /** A due delayed message joins the ready list. */
  'promote',
  /**
   * The last dependency of a waiting message ended: it is ready, or delayed until ctx.dueAt when it
   * was put with a delay that has not run out yet.
   */
  'unblock',
  /** A message is leased to a consumer (ctx: token, attempt, consumer). */
  'reserve',
  /** A lease ran out; the message is ready again (ctx: token, attempt, reason). */
  'expire',
  /** A consumer handed a lease back unused; the attempt is given back (ctx: token, attempt). */
  'release',
  /** A failed attempt will be retried at ctx.dueAt (ctx: token, attempt, reason, vars). */
  'retry',
  /** A lease was acknowledged: done (ctx: token, attempt, vars). */
  'ack',
  /**
   * Dead-lettered: the last attempt failed, or the consumer asked for it (ctx: token, attempt, reason,
   * vars); or a waiting message failed because a dependency did (ctx: dependency, reason, attempt 0,
   * no token).
   */
  'dead',
  /** A leased message that was asked to stop ended (ctx: token, attempt, reason). */
  'cancel',
  /** A ready or delayed message is taken out (TaskQueue.remove): may refuse by returning a string. */
  'remove',
  /** Every call, last: `after()`; writes what the hooks batched during the call. */
  'after',
] as const;

/**
 * The name of a hook the queue calls by itself.
 * @public
 */
export type HookName = (typeof HOOK_NAMES)[number];

/**
 * What a hook receives as `ctx` (a Lua table with these fields; absent ones are nil).
 * @public
 */
export interface HookContext {
  /** Redis server time of this call, in ms. */
  now: number;
  /** The lease token of the step (reserve and every step that ends or extends a lease). */
  token?: string;
  /** The attempt the step is about (1 for the first run; 0 at put). */
  attempt?: number;
  /** The consumer taking the lease (reserve). */
  consumer?: string;
  /** Why the message failed, expired or was dead-lettered. */
  reason?: string;
  /** When a delayed or retried message becomes ready (ms, Redis time). */
  dueAt?: number;
  /** The caller's string variables for this step (`vars` of put, ack, nack, remove). */
  vars: Record<string, string>;
  /** The hooks' fields named in `HOOKS.fields`, as read with the queue's own (absent ones are nil). */
  record: Record<string, string>;
  /** Flat `field, value` pairs the hook appends; written with the queue's fields in one HSET. */
  writes: string[];
  /** put: the id's hash exists and has ended; the put brings it back unless the hook refuses. */
  revive?: boolean;
  /**
   * put: the message will wait for its dependencies (and `unblock` comes when they have ended), or
   * it is dead-lettered in the same call because one has failed already (`dead` follows at once).
   */
  waiting?: boolean;
  /** dead: the dependency whose failure or cancellation ends this waiting message. */
  dependency?: string;
  /**
   * put: the id of the schedule whose occurrence this message is (`TaskQueue.setSchedule`); its
   * due time is `dueAt`, which may be past (the occurrence is ready at once).
   */
  schedule?: string;
}

/**
 * The Lua hooks of a TaskQueue, with the key base they were written for: a queue whose own key base
 * differs refuses them at construction (its hooks would keep records of another queue).
 * @public
 */
export interface QueueHooks {
  /** Lua that returns the table of hook functions. */
  readonly source: string;
  /** The `{prefix:queue}` the hooks' keys are under; when given, it must be the queue's own. */
  readonly keyBase?: string;
  /**
   * The partition count the hooks were written for (see {@link QueuePartitions}); when given, it
   * must be the queue's own. Default: any.
   */
  readonly partitions?: number;
  /**
   * The hooks chunk for one partition's keys, given the partition's key base: a queue of several
   * partitions runs each partition's functions with the chunk written for it. Required, on such a
   * queue, for hooks that name a `keyBase`.
   */
  readonly partitionSource?: (keyBase: string) => string;
}

/**
 * The fields of a message's hash (`<key base>:job:<id>`) that queue-core owns: upper-case names, so
 * that they never meet the hooks' record fields (lower case) in the same hash. Hooks may read them
 * and must not write them.
 * @public
 */
export const MESSAGE_FIELDS = {
  /** The encoded payload when at most 64 bytes; a longer one is the STRING `<key base>:payload:<id>`. */
  payload: 'P',
  /** Attempts started. */
  attempts: 'A',
  /** Attempts allowed. */
  maxAttempts: 'M',
  /** The token of the lease held; empty or absent when none. */
  token: 'T',
  /** The consumer of the last lease. */
  consumer: 'C',
  /** Why it was dead-lettered. */
  reason: 'R',
  /** `1` once the message has ended while its hash lives on (dead-lettered, or kept as a record). */
  ended: 'E',
  /** Its priority, -100..100, when not 0 (see `PutOptions.priority`). */
  priority: 'Y',
  /** The limit scopes it counts against besides `queue`, joined by spaces (see `PutOptions.scopes`). */
  scopes: 'L',
  /** Its place among the ready messages: lower first (ready time less priority times the ageing). */
  score: 'S',
  /** The scopes whose concurrency limit its current lease counts against. */
  counted: 'K',
  /** Its dependencies (see `PutOptions.dependsOn`), joined by spaces. */
  dependsOn: 'D',
  /** How many of its dependencies have not ended yet; 0 once it no longer waits. */
  waitingOn: 'W',
  /** `r` when it runs even if a dependency fails. */
  runOnDependencyFailure: 'F',
  /** Its due time (ms) when it was put with both a delay and dependencies. */
  dueAt: 'U',
  /** `1` once some message waits on it. */
  waitedOn: 'N',
  /** `dead` or `cancelled` on an ended message that did not succeed. */
  outcome: 'O',
} as const;
