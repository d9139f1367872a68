import type { Cluster, Redis } from 'ioredis';
import type { QueueHooks } from './hooks.js';

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
   * Lua hooks run inside the queue's functions (the contract: {@link HOOK_NAMES}, {@link HookContext}),
   * to keep other records in step with the queue atomically: a chunk that returns a table of hook
   * functions, or {@link QueueHooks} (the chunk and the key base it was written for, checked against
   * this queue's). `before` runs first and `after` last in every call.
   */
  hooks?: string | QueueHooks;
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
  /**
   * Backpressure: at most this many messages waiting (ready or delayed). A put that would go past it
   * is refused as a whole, inside the put's own atomic call (no check-then-act race between
   * producers), with {@link QueueFullError}. Default: no maximum.
   */
  maxQueued?: number;
  /**
   * Durability: a put resolves only once this many replicas of the master have it (`WAIT`, sent in
   * the put's own round trip, on the node that holds the queue's slot on a Cluster); fewer within
   * `waitReplicasTimeoutMs` reject the put with {@link NotReplicatedError} (the messages exist on
   * the master then). Puts then go over a connection of their own, a duplicate of `redis`, because
   * a WAIT holds up every command behind it on its connection. Default 0: no wait.
   */
  waitReplicas?: number;
  /** How long a put waits for its replicas, 1 to 60 000 ms. Default 1 000 ms. */
  waitReplicasTimeoutMs?: number;
  /**
   * Partitions of the queue, 1 to {@link MAX_PARTITIONS} (default 1). Each partition has its own hash
   * tag, so on a Redis Cluster the partitions spread over the masters; a message lives wholly in one
   * (its id names which), every step of it stays one atomic call on one slot, and consumers take
   * from every partition in turn. Recorded in Redis on first use: a queue keeps its count, and a
   * process given another is refused ({@link PartitionMismatchError}). What changes with more than
   * one (limits shared out, `maxQueued` per partition, schedules in partition 0):
   * docs/decisions/0021-partitioned-queues.md.
   */
  partitions?: number;
}

/**
 * Options of {@link TaskQueue.put}.
 * @public
 */
export interface PutOptions {
  /**
   * The message id (letters, digits, "_", "-"); a time-sortable id is made when absent. Putting an
   * existing id again changes nothing. On a partitioned queue it must name one of the queue's
   * partitions ({@link QueuePartitions.stampId}), and it decides where the message goes.
   */
  id?: string;
  /**
   * On a partitioned queue, the messages of one partition key (1 to 128 printable ASCII
   * characters) all go to one partition, where consumers take them in order; without one (and
   * without an `id`), messages are spread over the partitions in turn. Checked, and otherwise
   * ignored, on a queue of one partition.
   */
  partitionKey?: string;
  /** Deliver no sooner than this many ms from now. */
  delayMs?: number;
  /** Attempts before dead-lettering, for this message. */
  maxAttempts?: number;
  /** Strings handed to the hook as `ctx.vars`. */
  vars?: Record<string, string>;
  /** Run this hook instead of `put`. */
  hook?: string;
  /**
   * An integer from -100 to 100, higher taken first; default 0, an ordinary band. FIFO within one
   * priority; a waiting message's effective priority rises by one per ageing interval
   * ({@link TaskQueue.setPriorityAgeing}), so low priorities are not starved.
   */
  priority?: number;
  /**
   * The limit scopes the message counts against besides `queue` (see {@link TaskQueue.setLimit}),
   * e.g. `['type:render', 'tag:acme']`: at most 9, each `<kind>:<name>` with kind `[a-z][a-z0-9_]*`
   * and name 1 to 64 of `[A-Za-z0-9_.:@-]`.
   */
  scopes?: string[];
  /**
   * Ids of messages of this queue that must end before this one is taken (at most 1,000): each must
   * exist (live, or ended while its hash is kept, as job records are) or come earlier in the same
   * {@link TaskQueue.putMany}; otherwise the whole put is refused ({@link DependencyError}). Until
   * they have all ended the message waits (outcome `waiting`, counted in {@link QueueStats.waiting});
   * the last one's end makes it ready, in the same atomic call. A message can only wait on messages
   * that existed before it, so no cycle can form.
   */
  dependsOn?: readonly string[];
  /**
   * What a dependency that is dead-lettered, cancelled or removed does to this message: `fail` (the
   * default) dead-letters it at once with reason `dependency <id> failed` (or `... was cancelled`),
   * and so on down what waits on it; `run` counts that dependency as ended.
   */
  onDependencyFailure?: 'fail' | 'run';
}

/**
 * A limit on the starts and the leases of one scope, across every consumer of the queue.
 * @public
 */
export interface LimitSpec {
  /** At most `count` starts (leases taken) in any window of `perMs` ms (a sliding window). */
  rate?: { count: number; perMs: number };
  /** At most this many leases held at once. */
  concurrency?: number;
}

/**
 * A limit in force on a scope.
 * @public
 */
export interface Limit {
  /** `queue` (every message) or `<kind>:<name>`, e.g. `type:render`, `tag:acme`. */
  scope: string;
  /** The rate limit, or null. */
  rate: { count: number; perMs: number } | null;
  /** The concurrency limit, or null. */
  concurrency: number | null;
}

/**
 * A limit with what it counts now.
 * @public
 */
export interface LimitUsage extends Limit {
  /** Leases held now that count against the concurrency limit (0 without one). */
  running: number;
  /** Starts within the rate window ending now (0 without a rate). */
  recentStarts: number;
}

/**
 * What became of one put.
 * @public
 */
export interface PutResult {
  /** The message id. */
  id: string;
  /**
   * `queued` or `delayed` when added; `waiting` when added to wait on its dependencies; `dead` when
   * added and dead-lettered at once because a dependency had failed; `exists` when the id was
   * already there; `refused` by the hook.
   */
  outcome: 'queued' | 'delayed' | 'waiting' | 'dead' | 'exists' | 'refused';
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
  /** Messages waiting to be taken (also those a limit holds back). */
  ready: number;
  /** Messages waiting for their delay to end. */
  delayed: number;
  /** Messages held by consumers. */
  leased: number;
  /** Messages waiting for their dependencies to end ({@link PutOptions.dependsOn}). */
  waiting: number;
  /** Dead letters kept. */
  dead: number;
  /** Whether consumers are paused. */
  paused: boolean;
  /** Running totals since the queue was created. */
  totals: { put: number; acked: number; retried: number; dead: number; expired: number; released: number };
}

/**
 * What a queue counted in one minute (Redis's clock): the running totals' fields, per minute.
 * @public
 */
export interface MinuteCounts {
  /** The minute's start, in ms since the epoch. */
  minute: number;
  /** Messages put. */
  put: number;
  /** Leases acknowledged (messages done). */
  acked: number;
  /** Leases handed back to be tried again. */
  retried: number;
  /** Messages dead-lettered. */
  dead: number;
  /** Leases that expired (their consumer went away). */
  expired: number;
  /** Leases released by their consumer. */
  released: number;
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

/**
 * A consumer listening for stop requests ({@link TaskQueue.listenForStops}).
 * @public
 */
export interface StopListener {
  /** Resolves once the subscription is made (or the listener was closed first). */
  readonly ready: Promise<void>;
  /** Stops listening and closes its connection. */
  close(): Promise<void>;
}

/**
 * What a schedule does about occurrences it missed (their time passed while no consumer took work:
 * every consumer or Redis was down, or the queue was paused): `skip` makes none of them (only an
 * occurrence found on time runs), `one` makes one (the latest), `{ max: n }` up to n (the latest n).
 * An occurrence is missed when it is made later than a minute after its due time, or later than half
 * the time to the next one when that is shorter.
 * @public
 */
export type MisfirePolicy = 'skip' | 'one' | { max: number };

/**
 * Whether a schedule makes an occurrence while the previous one has not ended (queued, running, or
 * waiting to be retried): `skip` does not (that occurrence is skipped), `allow` does.
 * @public
 */
export type OverlapPolicy = 'skip' | 'allow';

/**
 * A schedule: a message put again and again, at a fixed interval or at the times of a cron
 * expression (see {@link TaskQueue.setSchedule}). Exactly one of `cron` and `everyMs`.
 * @public
 */
export interface ScheduleSpec<T> {
  /** The payload of every occurrence. */
  payload: T;
  /** Attempts before dead-lettering, for each occurrence. Default: the queue's. */
  maxAttempts?: number;
  /** The priority of each occurrence (see {@link PutOptions.priority}). Default 0. */
  priority?: number;
  /** The limit scopes of each occurrence (see {@link PutOptions.scopes}). */
  scopes?: string[];
  /** Strings handed to the hook as `ctx.vars` when an occurrence is put. */
  vars?: Record<string, string>;
  /** Run this hook instead of `put` for each occurrence. */
  hook?: string;
  /**
   * A cron expression of 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds
   * first), read in time zone `tz`. Times that a daylight-saving change skips run at the first
   * time after the gap for a job at a fixed time of day, and are skipped for a repeating one; a
   * time that occurs twice runs once for a fixed time, at both for a repeating one.
   */
  cron?: string;
  /** The IANA time zone of `cron`, e.g. `Europe/Berlin`. Default `UTC`. Only with `cron`. */
  tz?: string;
  /** A fixed interval in ms, at least {@link SCHEDULE_MIN_EVERY_MS}. */
  everyMs?: number;
  /**
   * No occurrence before this time (ms since the epoch). An interval schedule's slots are
   * `startAt + k * everyMs`; without `startAt` the first is one interval after the schedule is set.
   */
  startAt?: number;
  /** No occurrence after this time (ms since the epoch); must be after `startAt`. */
  endAt?: number;
  /** At most this many occurrences in all (those made by {@link TaskQueue.runSchedule} not counted). */
  limit?: number;
  /** Missed occurrences. Default `one`. */
  misfire?: MisfirePolicy;
  /** Occurrences while the previous one has not ended. Default `skip`. */
  overlap?: OverlapPolicy;
}

/**
 * A schedule as stored, with where it stands.
 * @public
 */
export interface Schedule<T> {
  /** The schedule id. */
  readonly id: string;
  /** The payload of every occurrence. */
  readonly payload: T;
  /** Attempts allowed to each occurrence. */
  readonly maxAttempts: number;
  /** The priority of each occurrence. */
  readonly priority: number;
  /** The limit scopes of each occurrence. */
  readonly scopes: string[];
  /** The hook's vars of each occurrence. */
  readonly vars: Record<string, string>;
  /** The hook run instead of `put`, or null. */
  readonly hook: string | null;
  /** The cron expression, or null for an interval schedule. */
  readonly cron: string | null;
  /** The time zone of the cron expression, or null. */
  readonly tz: string | null;
  /** The interval in ms, or null for a cron schedule. */
  readonly everyMs: number | null;
  /** No occurrence before this (ms), or null. */
  readonly startAt: number | null;
  /** No occurrence after this (ms), or null. */
  readonly endAt: number | null;
  /** Most occurrences in all, or null. */
  readonly limit: number | null;
  /** The misfire policy. */
  readonly misfire: MisfirePolicy;
  /** The overlap policy. */
  readonly overlap: OverlapPolicy;
  /** Paused: no occurrence until resumed. */
  readonly paused: boolean;
  /** Ended: past its end or its limit; it makes no more occurrences (a new definition may revive it). */
  readonly ended: boolean;
  /** When the next occurrence is due (ms), or null when paused or ended. */
  readonly nextAt: number | null;
  /** The due time of the last slot handled (made, or skipped by a policy), or null. */
  readonly lastDueAt: number | null;
  /** The message id of the last occurrence made, or null. */
  readonly lastMessageId: string | null;
  /** Occurrences made at their times so far. */
  readonly count: number;
}

/**
 * What {@link TaskQueue.setSchedule} did.
 * @public
 */
export interface SetScheduleResult<T> {
  /** `created`, `replaced`, or `unchanged` when the same definition was already there. */
  outcome: 'created' | 'replaced' | 'unchanged';
  /** The schedule as stored now. */
  schedule: Schedule<T>;
}

/**
 * The occurrence made by {@link TaskQueue.runSchedule}.
 * @public
 */
export interface ScheduleRun {
  /** The occurrence's message id (derived from the schedule and its due time). */
  id: string;
  /** Its due time: the moment of the call (ms, Redis time). */
  dueAt: number;
  /** `queued`; `exists` when an occurrence with this id was already made; `refused` by the hook. */
  outcome: 'queued' | 'exists' | 'refused';
  /** The hook's answer when refused. */
  refusal?: string;
}
