import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { DependencyError, InvalidArgumentError, LayoutMismatchError, MessageRefusedError, NotReplicatedError, PartitionMismatchError, QueueError, QueueFullError } from './errors.js';
import { inboxKey, unframe, waiterEntry } from './_inbox.js';
import { KEY, queueKeys, type QueueKeys } from './_keys.js';
import { PARTITION, partitionSteps, type PartitionSpec, type PreparedPut } from './_partition-access.js';
import { PartitionedQueue } from './_partitioned-queue.js';
import { checkPartitionKey, QueuePartitions } from './queue-partitions.js';
import { checkLayout } from './_layout.js';
import { listenForStops, stopChannel } from './_stop-listener.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, duplicateClient, withTimeout } from './_redis.js';
import { ScriptSet, type ScriptName } from './_scripts.js';
import { WorkWaiter } from './_work-waiter.js';
import { checkDependencies, checkDependencyPolicy, checkHookName, checkInteger, checkMessageId, checkName, checkScopes, checkVars } from './_validate.js';
import { DEFAULT_AGEING_MS, readLimits, removeLimit, setLimit } from './_limits.js';
import { MAX_HISTORY_MINUTES, readThroughput } from './_throughput.js';
import { Schedules } from './_schedules.js';
import type { QueueHooks } from './hooks.js';
import type {
  AckRequest,
  Codec,
  DeadLetter,
  ExtendResult,
  Lease,
  Limit,
  LimitSpec,
  LimitUsage,
  NackOptions,
  PutOptions,
  PutResult,
  MinuteCounts,
  QueueStats,
  RemoveResult,
  ReserveOptions,
  Schedule,
  ScheduleRun,
  ScheduleSpec,
  SetScheduleResult,
  StopListener,
  ReserveResult,
  ReservedMessage,
  TaskQueueOptions,
} from './task-queue-types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_LEASE_MS = 7 * DAY_MS;
const nextId = monotonicFactory();
// A function, not `signal?.aborted` inline: after an earlier check TypeScript would narrow the flag
// to false, though it can turn true during any await.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The hooks option as { source, keyBase?, partitions?, partitionSource? }, or undefined. */
function checkHooks(hooks: string | QueueHooks | undefined): QueueHooks | undefined {
  if (hooks === undefined) return undefined;
  const source = typeof hooks === 'string' ? hooks : (hooks as QueueHooks | null)?.source;
  if (typeof source !== 'string' || source.trim() === '') {
    throw new InvalidArgumentError('options.hooks', 'a Lua chunk that returns a table of hook functions, or { source, keyBase }', hooks);
  }
  if (typeof hooks === 'string') return { source };
  const { keyBase, partitions, partitionSource } = hooks;
  if (keyBase !== undefined && typeof keyBase !== 'string') throw new InvalidArgumentError('options.hooks.keyBase', 'a string', keyBase);
  if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) {
    throw new InvalidArgumentError('options.hooks.partitions', 'a positive integer', partitions);
  }
  if (partitionSource !== undefined && typeof partitionSource !== 'function') {
    throw new InvalidArgumentError('options.hooks.partitionSource', 'a function (keyBase) => Lua chunk', partitionSource);
  }
  return { source, keyBase, partitions, partitionSource };
}

/** How errors name a put's message and its fields: `options.<field>` for a single put, `messages[i].<field>` in a batch. */
function putLabels(at: string, payload = `${at}.payload`) {
  return {
    message: at, payload, partitionKey: `${at}.partitionKey`, id: `${at}.id`, delayMs: `${at}.delayMs`, maxAttempts: `${at}.maxAttempts`,
    vars: `${at}.vars`, hook: `${at}.hook`, priority: `${at}.priority`, scopes: `${at}.scopes`, dependsOn: `${at}.dependsOn`,
    onDependencyFailure: `${at}.onDependencyFailure`,
  } as const;
}
/** The labels of a single put, made once: a put does not build ten of them for the error it nearly never has. */
const SINGLE_PUT = putLabels('options', 'payload');

const jsonCodec: Codec<unknown> = { encode: (value) => JSON.stringify(value), decode: (text) => JSON.parse(text) };

/**
 * A reliable queue: each message goes to one consumer at a time under a lease (token + expiry).
 * The consumer acks it, nacks it (retry after a delay, or dead-letter), or extends the lease. A lease
 * that runs out makes the message available again with its attempt count raised; past its last
 * attempt it is dead-lettered with the reason. A step with a stale token is refused, so a consumer
 * presumed dead cannot complete a message a second time.
 *
 * Round trips: put 1 (any batch size); reserve 1 (acks of finished messages ride along, so a busy
 * consumer spends one round trip per message); ack, nack, extend (any number of leases), release 1.
 * @public
 */
export class TaskQueue<T = unknown> {
  /** The queue name. */
  readonly name: string;
  /** The key prefix. */
  readonly prefix: string;
  private readonly redis: Redis | Cluster;
  private readonly keys: QueueKeys;
  private readonly scripts: ScriptSet;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly deadRetentionMs: number;
  private readonly codec: Codec<T>;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  /** Replicas a put waits for (0: none), and for how long. */
  private readonly waitReplicas: number;
  private readonly waitReplicasTimeoutMs: number;
  /** The connection puts go over when they wait for replicas, made at the first put. */
  private putConnection: Redis | Cluster | undefined;
  private readonly waiter: WorkWaiter;
  private readonly tokenSeed = randomBytes(6).toString('base64url');
  private reserveCalls = 0;
  private layoutChecked: Promise<void> | undefined;
  /** Set once the layout check passed: later script calls then skip even awaiting it. */
  private layoutOk = false;
  private readonly scheduleOps: Schedules<T>;
  /** Set when this queue is one partition of a partitioned queue. */
  private readonly partition: PartitionSpec | undefined;
  /** Set when this queue has several partitions: every call goes through it. */
  private readonly partitioned: PartitionedQueue<T> | undefined;
  /**
   * How the queue is split: `partitions.count` partitions (1 unless the `partitions` option says
   * otherwise), the key base of each, and which partition a job id names.
   */
  readonly partitions: QueuePartitions;

  constructor(options: TaskQueueOptions<T>) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', options);
    if (typeof options.redis !== 'object' || options.redis === null || typeof options.redis.evalsha !== 'function') {
      throw new InvalidArgumentError('options.redis', 'an ioredis client or Cluster', options.redis);
    }
    this.redis = options.redis;
    this.name = checkName('options.name', options.name);
    this.prefix = checkName('options.prefix', options.prefix ?? 'hotq');
    const hooks = checkHooks(options.hooks);
    this.leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? 30_000, 1, MAX_LEASE_MS);
    this.maxAttempts = checkInteger('options.maxAttempts', options.maxAttempts ?? 3, 1, 1_000_000);
    this.deadRetentionMs = checkInteger('options.deadRetentionMs', options.deadRetentionMs ?? 7 * DAY_MS, 0);
    this.timeoutMs = checkInteger('options.commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, 1);
    this.codec = options.codec ?? (jsonCodec as Codec<T>);
    // 0 stands for "no maximum" in the put function's arguments.
    this.maxQueued = options.maxQueued === undefined ? 0 : checkInteger('options.maxQueued', options.maxQueued, 1, 1_000_000_000);
    this.waitReplicas = checkInteger('options.waitReplicas', options.waitReplicas ?? 0, 0, 100);
    this.waitReplicasTimeoutMs = checkInteger('options.waitReplicasTimeoutMs', options.waitReplicasTimeoutMs ?? 1_000, 1, 60_000);
    this.partition = (options as { [PARTITION]?: PartitionSpec })[PARTITION];
    this.partitions = this.partition?.partitions ?? new QueuePartitions(this.prefix, this.name, options.partitions ?? 1);
    this.keys = queueKeys(this.prefix, this.name, this.partition?.base);
    if (hooks?.partitions !== undefined && hooks.partitions !== this.partitions.count) {
      throw new InvalidArgumentError('options.hooks', `hooks written for a queue of ${this.partitions.count} partition(s) (these are for ${hooks.partitions}: `
        + 'give the TaskQueue and the store the same partitions)');
    }
    if (this.partition === undefined && hooks?.keyBase !== undefined && hooks.keyBase !== this.keys.base) {
      throw new InvalidArgumentError('options.hooks', `hooks written for this queue's key base ${this.keys.base} (these keep records under ${hooks.keyBase}: `
        + 'give the TaskQueue and the store the same prefix and queue name)');
    }
    this.scripts = new ScriptSet(this.partition ? this.partition.hooksSource : hooks?.source);
    this.waiter = new WorkWaiter(this.redis, this.key(KEY.wake), this.timeoutMs);
    this.scheduleOps = new Schedules<T>({
      redis: this.redis, base: this.keys.base, timeoutMs: this.timeoutMs, maxAttempts: this.maxAttempts,
      encode: (payload) => this.codec.encode(payload), decode: (text) => this.codec.decode(text),
      run: async (name, args) => await this.run(name, args),
      stem: (stem) => this.partitions.stampStem(stem, this.partition?.index ?? 0),
    });
    partitionSteps.set(this, {
      preparePut: (messages, positions, total) => this.preparePut(messages as ReadonlyArray<{ payload: T } & PutOptions>, positions, total),
      sendPut: async (prepared, total) => await this.sendPut(prepared, total),
      ackArgs: (acks) => this.ackArgs(acks),
      take: async (count, leaseMs, consumer, ackArgs) => await this.reserveOnce(count, leaseMs, consumer, this.nextTokenPrefix(), '', 0, ackArgs),
    });
    this.partitioned = this.partition === undefined && this.partitions.count > 1
      ? new PartitionedQueue<T>({
        options, partitions: this.partitions, hooks, timeoutMs: this.timeoutMs, leaseMs: this.leaseMs, maxQueued: this.maxQueued,
        waitReplicasTimeoutMs: this.waitReplicasTimeoutMs,
        makePartition: (spec, partitionOptions) => new TaskQueue<T>({ ...partitionOptions, [PARTITION]: spec } as TaskQueueOptions<T>),
      })
      : undefined;
  }

  /**
   * The hash-tagged base every key of this queue starts with, `{prefix:name}`; on a partitioned
   * queue the base of what belongs to the queue as a whole (each partition's is in `partitions.keyBases`).
   */
  get keyBase(): string {
    return this.partition?.partitions.keyBase ?? this.keys.base;
  }

  /** Adds one message. One round trip. */
  put(payload: T, options: PutOptions = {}): Promise<PutResult> {
    // Not an async function of its own (putMany is one, so nothing here throws): one promise fewer per put.
    return this.putMany([{ payload, ...options }]).then(firstResult);
  }

  /**
   * Adds many messages atomically, in order, in one round trip. All or nothing: when a hook's check
   * refuses one message, nothing of the batch is written ({@link MessageRefusedError}). A message the
   * hook itself refuses (outcome `refused`, e.g. a duplicate) does not stop the others.
   */
  async putMany(messages: ReadonlyArray<{ payload: T } & PutOptions>): Promise<PutResult[]> {
    if (this.partitioned) return await this.partitioned.putMany(messages);
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InvalidArgumentError('messages', 'a non-empty array of { payload, ...options }', messages);
    }
    // Validate and encode everything before anything is sent: a bad message writes nothing.
    return await this.sendPut(this.preparePut(messages, messages.map((_, index) => index), messages.length), messages.length);
  }

  /**
   * Validates and encodes messages (nothing sent). `positions` are their places in the caller's
   * batch of `total`, which errors name.
   */
  private preparePut(messages: ReadonlyArray<{ payload: T } & PutOptions>, positions: readonly number[], total: number): PreparedPut {
    const args: (string | number)[] = [messages.length, this.maxQueued];
    const ids: string[] = [];
    messages.forEach((message, index) => {
      const at = total === 1 ? SINGLE_PUT : putLabels(`messages[${positions[index] ?? index}]`);
      if (typeof message !== 'object' || message === null) throw new InvalidArgumentError(at.message, 'an object', message);
      if (message.partitionKey !== undefined) checkPartitionKey(at.partitionKey, message.partitionKey);
      const id = message.id === undefined ? nextId() : checkMessageId(at.id, message.id);
      const delayMs = checkInteger(at.delayMs, message.delayMs ?? 0, 0, 365 * DAY_MS);
      const maxAttempts = checkInteger(at.maxAttempts, message.maxAttempts ?? this.maxAttempts, 1, 1_000_000);
      const vars = checkVars(at.vars, message.vars);
      const hook = checkHookName(at.hook, message.hook);
      const priority = checkInteger(at.priority, message.priority ?? 0, -100, 100);
      const group = checkScopes(at.scopes, message.scopes);
      const deps = checkDependencies(at.dependsOn, message.dependsOn, id);
      const policy = checkDependencyPolicy(at.onDependencyFailure, message.onDependencyFailure);
      args.push(
        id, this.encode(message.payload, at.payload), delayMs, maxAttempts,
        vars ? JSON.stringify(vars) : '', hook, priority, group, deps, policy,
      );
      ids.push(id);
    });
    return { args, ids };
  }

  /** Sends a prepared put (one round trip) and reads its outcomes. */
  private sendPut({ args, ids }: PreparedPut, total: number): Promise<PutResult[]> {
    const refused = (error: unknown): never => {
      throw putRefusal(error, ids.length, total);
    };
    if (this.waitReplicas === 0) return this.run('put', args).then((reply) => putOutcomes(ids, reply as string[]), refused);
    return this.runAndWait('put', args).then(({ reply, replicas }) => {
      if (replicas < this.waitReplicas) throw new NotReplicatedError(replicas, this.waitReplicas, this.waitReplicasTimeoutMs, ids);
      return putOutcomes(ids, reply);
    }, refused);
  }

  /**
   * Leases up to `count` ready messages, after applying `acks`. With `waitMs`, waits for a message
   * when none is ready, on a connection of its own; a message put meanwhile is leased to the waiting
   * call directly and arrives with the wake-up, so it costs no second round trip.
   */
  async reserve(options: ReserveOptions = {}): Promise<ReserveResult<T>> {
    if (this.partitioned) return await this.partitioned.reserve(options);
    const count = checkInteger('options.count', options.count ?? 1, 0, 10_000);
    const leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? this.leaseMs, 1, MAX_LEASE_MS);
    const waitMs = checkInteger('options.waitMs', options.waitMs ?? 0, 0, DAY_MS);
    const consumer = options.consumer ?? 'anonymous';
    if (typeof consumer !== 'string' || consumer.length > 200) {
      throw new InvalidArgumentError('options.consumer', 'a string of at most 200 characters', consumer);
    }
    const ackArgs = this.ackArgs(options.acks ?? []);
    const signal = options.signal;

    const slot = this.nextTokenPrefix();
    const waits = waitMs > 0 && count > 0 && !signal?.aborted;
    const waiter = waits ? waiterEntry(slot, count, leaseMs, consumer) : '';
    const first = await this.reserveOnce(count, leaseMs, consumer, slot, waiter, waitMs, ackArgs);
    if (first.messages.length > 0 || !waits) return { messages: first.messages, acked: first.acked };

    // Registered as a waiter (unless paused). Either a put hands messages over through the inbox, or
    // the call after the wait unregisters and takes what was handed over in the meantime.
    const hint = first.hint;
    const inbox = inboxKey(this.keys.base, slot);
    const handed = unframe(await this.waiter.wait(hint >= 0 ? Math.min(waitMs, Math.max(hint, 1)) : waitMs, signal, inbox));
    // Checked again: the signal may have aborted during the wait.
    const stopping = isAborted(signal);
    if (handed.length > 0 && !stopping) return { messages: await this.toMessages(handed), acked: first.acked };
    if (!stopping) {
      const after = await this.reserveOnce(count, leaseMs, consumer, this.nextTokenPrefix(), waiter, 0, [0]);
      return { messages: after.messages, acked: first.acked };
    }
    await this.giveBackHanded(handed, leaseMs, consumer, waiter);
    return { messages: [], acked: first.acked };
  }

  /**
   * A reserve that gave up waiting: unregisters it and releases what was handed to it, attempt not
   * counted. Best effort: should Redis be out of reach, the waiter entry ends with its wait and the
   * messages come back when their leases expire.
   */
  private async giveBackHanded(handed: readonly string[], leaseMs: number, consumer: string, waiter: string): Promise<void> {
    try {
      const after = await this.reserveOnce(0, leaseMs, consumer, this.nextTokenPrefix(), waiter, 0, [0]);
      const leases: Lease[] = after.messages.map(({ id, token }) => ({ id, token }));
      for (let index = 0; index < handed.length; index += 5) {
        leases.push({ id: handed[index] as string, token: handed[index + 4] as string });
      }
      if (leases.length > 0) await this.release(leases);
    } catch {
      // Nothing more to do while stopping; see above.
    }
  }

  /** Completes a leased message. False when the token is stale (nothing changed). */
  async ack(lease: Lease, options: Omit<AckRequest, 'lease'> = {}): Promise<boolean> {
    if (this.partitioned) return await this.partitioned.ack(lease, options);
    // ackArgs starts with the number of acks, which the single-ack script does not take.
    const args = this.ackArgs([{ lease, ...options }]).slice(1);
    const reply = await this.run('ack', args);
    return reply === 1;
  }

  /**
   * Fails a leased message: retried after `delayMs`, or dead-lettered. `cancelled` when someone asked
   * it to stop meanwhile ({@link TaskQueue.remove}): it ends through the `cancel` hook instead.
   * `stale` when the token is.
   */
  async nack(lease: Lease, options: NackOptions = {}): Promise<'retry' | 'dead' | 'cancelled' | 'stale'> {
    if (this.partitioned) return await this.partitioned.nack(lease, options);
    this.checkLease('lease', lease);
    const delayMs = checkInteger('options.delayMs', options.delayMs ?? 0, 0, 365 * DAY_MS);
    const reason = options.reason ?? 'failed';
    if (typeof reason !== 'string') throw new InvalidArgumentError('options.reason', 'a string', reason);
    const vars = checkVars('options.vars', options.vars);
    return (await this.run('nack', [
      lease.id, lease.token, delayMs, options.dead ? '1' : '0', reason.slice(0, 2_000), vars ? JSON.stringify(vars) : '', this.deadRetentionMs,
    ])) as 'retry' | 'dead' | 'cancelled' | 'stale';
  }

  /** Renews many leases in one round trip (a consumer's heartbeat). */
  async extend(leases: readonly Lease[], options: { leaseMs?: number } = {}): Promise<ExtendResult[]> {
    if (this.partitioned) return await this.partitioned.extend(leases, options);
    if (!Array.isArray(leases)) throw new InvalidArgumentError('leases', 'an array of leases', leases);
    if (leases.length === 0) return [];
    const leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? this.leaseMs, 1, MAX_LEASE_MS);
    const args: (string | number)[] = [leaseMs, leases.length];
    leases.forEach((lease, index) => {
      this.checkLease(`leases[${index}]`, lease);
      args.push(lease.id, lease.token);
    });
    const reply = (await this.run('extend', args)) as number[];
    return leases.map((lease, index) => ({ id: lease.id, held: (reply[index] ?? 0) > 0, cancelRequested: reply[index] === 2 }));
  }

  /** Hands leases back unused (shutdown): the messages go to the front, the attempt does not count. */
  async release(leases: readonly Lease[]): Promise<number> {
    if (this.partitioned) return await this.partitioned.release(leases);
    if (!Array.isArray(leases)) throw new InvalidArgumentError('leases', 'an array of leases', leases);
    if (leases.length === 0) return 0;
    const args: (string | number)[] = [leases.length];
    leases.forEach((lease, index) => {
      this.checkLease(`leases[${index}]`, lease);
      args.push(lease.id, lease.token);
    });
    return (await this.run('release', args)) as number;
  }

  /**
   * Removes a ready or delayed message. A leased one is flagged instead; its consumer sees
   * `cancelRequested` at its next {@link TaskQueue.extend}.
   */
  async remove(id: string, options: { vars?: Record<string, string>; hook?: string } = {}): Promise<RemoveResult> {
    if (this.partitioned) return await this.partitioned.remove(id, options);
    checkMessageId('id', id);
    const vars = checkVars('options.vars', options.vars);
    const hook = checkHookName('options.hook', options.hook);
    const [outcome, detail] = (await this.run('remove', [id, vars ? JSON.stringify(vars) : '', hook])) as [RemoveResult['outcome'], string];
    return outcome === 'refused' ? { outcome, refusal: detail } : { outcome };
  }

  /**
   * Calls `listener` with the id of each message leased to `consumer` that someone asks to stop
   * ({@link TaskQueue.remove} of a leased message), as the request is made: pushed over Redis
   * pub/sub, on a connection of its own, so the consumer need not wait for its next
   * {@link TaskQueue.extend}. A push can be missed (during a reconnect): extend still reports the
   * request (`cancelRequested`), so keep renewing leases. Waits for Redis as long as it takes;
   * `ready` resolves once listening.
   */
  listenForStops(consumer: string, listener: (id: string) => void): StopListener {
    if (typeof consumer !== 'string' || consumer.length > 200) {
      throw new InvalidArgumentError('consumer', 'a string of at most 200 characters', consumer);
    }
    if (typeof listener !== 'function') throw new InvalidArgumentError('listener', 'a function', listener);
    const bases = this.partitioned ? this.partitions.keyBases : [this.keys.base];
    return listenForStops(this.redis, bases.map((base) => stopChannel(base, consumer)), listener);
  }

  /** Stops consumers from taking messages until {@link TaskQueue.resume}. */
  async pause(): Promise<void> {
    if (this.partitioned) return await this.partitioned.pause();
    await withTimeout(this.redis.set(this.key(KEY.paused), '1'), this.timeoutMs, 'pause');
  }

  /** Lets consumers take messages again. */
  async resume(): Promise<void> {
    if (this.partitioned) return await this.partitioned.resume();
    await withTimeout(this.redis.del(this.key(KEY.paused)), this.timeoutMs, 'resume');
    await withTimeout(this.redis.lpush(this.key(KEY.wake), '1'), this.timeoutMs, 'resume');
  }

  /** Counts by state and running totals. One round trip (a pipeline of reads). */
  async stats(): Promise<QueueStats> {
    if (this.partitioned) return await this.partitioned.stats();
    const pipeline = this.redis.pipeline()
      .llen(this.key(KEY.ready))
      .zcard(this.key(KEY.delayed))
      .zcard(this.key(KEY.leased))
      .zcard(this.key(KEY.dead))
      .exists(this.key(KEY.paused))
      .hgetall(this.key(KEY.stats))
      .zrange(this.key(KEY.groups), '0', '-1')
      .zcard(this.key(KEY.blocked));
    const values = await this.readAll(pipeline, 'stats');
    const totals = (values[5] ?? {}) as Record<string, string>;
    const total = (name: string): number => Number(totals[name] ?? 0);
    // On the scheduled path ready messages also wait in their groups (a second round trip).
    const groups = values[6] as string[];
    let grouped = 0;
    if (groups.length > 0) {
      const sizes = this.redis.pipeline();
      for (const group of groups) sizes.zcard(`${this.keys.base}:pq:${group}`);
      grouped = (await this.readAll(sizes, 'stats')).reduce<number>((sum, size) => sum + Number(size), 0);
    }
    return {
      ready: (values[0] as number) + grouped,
      delayed: values[1] as number,
      leased: values[2] as number,
      waiting: values[7] as number,
      dead: values[3] as number,
      paused: values[4] === 1,
      totals: {
        put: total('put'), acked: total('acked'), retried: total('retried'),
        dead: total('dead'), expired: total('expired'), released: total('released'),
      },
    };
  }

  /**
   * What the queue counted per minute over the last `minutes` minutes (1 to 60, default 60), oldest
   * first, the current minute (still counting) last; minutes with nothing are zeros. The scripts count
   * as they go, so the history is the same from every process and there the moment one asks. Two
   * round trips.
   * @throws {@link InvalidArgumentError} when `minutes` is not an integer from 1 to 60.
   */
  async throughput(minutes = MAX_HISTORY_MINUTES): Promise<MinuteCounts[]> {
    checkInteger('minutes', minutes, 1, MAX_HISTORY_MINUTES);
    if (this.partitioned) return await this.partitioned.throughput(minutes);
    return await readThroughput(this.redis, this.keys.base, minutes, this.timeoutMs);
  }

  /**
   * Sets (replaces) the limit of one scope, in force for every consumer from their next reserve, with
   * no restart: `rate` caps the starts in any window of `perMs` ms (a sliding window, exact across
   * consumers), `concurrency` the leases held at once. A scope is `queue` (every message) or
   * `<kind>:<name>`, matched against the messages' {@link PutOptions.scopes}. A message held back
   * stays ready in its place, its attempt untouched, while messages of other scopes go ahead. While any
   * limit is set, reserves take the scheduled path (docs/decisions/0015), and a put hands messages to
   * waiting consumers by waking them rather than leasing directly. One round trip.
   * @throws {@link InvalidArgumentError} naming the field (`scope`, `limit.rate.count`, ...); nothing written.
   */
  async setLimit(scope: string, limit: LimitSpec): Promise<Limit> {
    if (this.partitioned) return await this.partitioned.setLimit(scope, limit);
    return await setLimit(this.redis, this.limitKeys(), scope, limit, this.timeoutMs);
  }

  /**
   * Removes the limit of one scope (false when there was none). Leases it counted give their slots
   * back as they end. One round trip.
   * @throws {@link InvalidArgumentError} for a malformed scope.
   */
  async removeLimit(scope: string): Promise<boolean> {
    if (this.partitioned) return await this.partitioned.removeLimit(scope);
    return await removeLimit(this.redis, this.limitKeys(), scope, this.timeoutMs);
  }

  /** The limits in force, by scope, with the leases and recent starts they count. Two round trips. */
  async limits(): Promise<LimitUsage[]> {
    if (this.partitioned) return await this.partitioned.limits();
    return await readLimits(this.redis, this.limitKeys(), this.timeoutMs);
  }

  /**
   * Sets how fast a waiting message's effective priority rises: by one level per `msPerLevel` ms of
   * waiting (default 1000), so that a message of priority p waits at most about
   * (100 - p) * msPerLevel behind messages of priority 100 submitted after it. 0 makes priorities
   * strict (no ageing: a low priority waits as long as higher ones keep coming). Applies to messages
   * that become ready from now on. One round trip.
   */
  async setPriorityAgeing(msPerLevel: number): Promise<void> {
    const ms = checkInteger('msPerLevel', msPerLevel, 0, DAY_MS);
    if (this.partitioned) return await this.partitioned.setPriorityAgeing(ms);
    await withTimeout(this.redis.set(`${this.keys.base}:ageing`, String(ms)), this.timeoutMs, 'setPriorityAgeing');
  }

  /** The ageing in ms per priority level (0: strict priorities). */
  async priorityAgeing(): Promise<number> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.priorityAgeing();
    const value = await withTimeout(this.redis.get(`${this.keys.base}:ageing`), this.timeoutMs, 'priorityAgeing');
    return value === null ? DEFAULT_AGEING_MS : Number(value);
  }

  /**
   * Creates or replaces schedule `id`: `spec.payload` put again and again, at the times of
   * `spec.cron` (in `spec.tz`) or every `spec.everyMs` ms, between `startAt` and `endAt`, at most
   * `limit` times. Each occurrence is a message whose id derives from the schedule id and its due
   * time (a ULID of that time), made inside Redis by the consumers' reserve that finds it due, in
   * the same atomic call that moves the schedule to its next time: no process, restart or resent
   * call can make one occurrence twice, and none is lost to a crash between two steps. Misfire and
   * overlap policies decide what happens after downtime and while the previous occurrence has not
   * ended. Setting the same definition again changes nothing; a new one keeps the schedule's state
   * (occurrences made, paused) and applies from its next due time after now. Deleting or cancelling an
   * occurrence does not touch the schedule. Two round trips for a cron schedule (Redis's clock, then
   * the write), one otherwise.
   * @throws {@link InvalidArgumentError} naming the field (`cron`, `tz`, `everyMs`, `endAt`, ...): nothing written.
   * @throws {@link MessageRefusedError} when the hooks' check refuses the occurrences' vars: nothing written.
   */
  async setSchedule(id: string, spec: ScheduleSpec<T>): Promise<SetScheduleResult<T>> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.setSchedule(id, spec);
    return await this.scheduleOps.set(id, spec);
  }

  /** Schedule `id` with its next due time, or null. One round trip. */
  async getSchedule(id: string): Promise<Schedule<T> | null> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.getSchedule(id);
    return await this.scheduleOps.get(id);
  }

  /**
   * The schedules of the queue, by id, with their next due times: every one, or a page of at most
   * `limit` (1 to 100,000) after the id `after`. Two round trips.
   */
  async listSchedules(options: { limit?: number; after?: string } = {}): Promise<Schedule<T>[]> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.listSchedules(options);
    return await this.scheduleOps.list(options);
  }

  /** Pauses schedule `id`: no occurrence until resumed. Null when there is none. One round trip. */
  async pauseSchedule(id: string): Promise<Schedule<T> | null> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.pauseSchedule(id);
    return await this.scheduleOps.pause(id);
  }

  /**
   * Resumes schedule `id` from its next due time after now (times that passed while it was paused
   * are not made). Null when there is none. Two or three round trips.
   */
  async resumeSchedule(id: string): Promise<Schedule<T> | null> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.resumeSchedule(id);
    return await this.scheduleOps.resume(id);
  }

  /**
   * Makes an occurrence of schedule `id` now, whatever its times, pause, end, limit or overlap; the
   * schedule's own times are not moved. Null when there is no such schedule. One round trip.
   */
  async runSchedule(id: string): Promise<ScheduleRun | null> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.runSchedule(id);
    return await this.scheduleOps.run(id);
  }

  /**
   * Deletes schedule `id` (false when there was none): no occurrence is made after this, while those
   * already made stay messages like any other. One round trip.
   */
  async removeSchedule(id: string): Promise<boolean> {
    if (this.partitioned) return await this.partitioned.schedulesQueue.removeSchedule(id);
    return await this.scheduleOps.remove(id);
  }

  /** The newest dead letters, newest first. */
  async deadLetters(options: { limit?: number } = {}): Promise<DeadLetter<T>[]> {
    const limit = checkInteger('options.limit', options.limit ?? 50, 1, 1_000);
    if (this.partitioned) return await this.partitioned.deadLetters(limit);
    const entries = await withTimeout(this.redis.zrevrange(this.key(KEY.dead), 0, limit - 1, 'WITHSCORES'), this.timeoutMs, 'deadLetters');
    const letters: DeadLetter<T>[] = [];
    for (let index = 0; index < entries.length; index += 2) {
      const id = entries[index] as string;
      const [[inline, attempts, reason], stored] = await withTimeout(Promise.all([
        this.redis.hmget(`${this.keys.base}:job:${id}`, 'P', 'A', 'R'), this.redis.get(`${this.keys.base}:payload:${id}`),
      ]), this.timeoutMs, 'deadLetters');
      const payload = inline ?? stored;
      if (payload === null || payload === undefined) continue;
      let decoded: T | string = payload;
      try {
        decoded = this.codec.decode(payload);
      } catch {
        // Undecodable payloads are the usual reason to be here: show the text.
      }
      letters.push({ id, payload: decoded, attempts: Number(attempts ?? 0), reason: reason ?? '', diedAt: Number(entries[index + 1]) });
    }
    return letters;
  }

  /**
   * Checks that the queue's keys in Redis are in the layout this version uses, and records it on a
   * new queue. Every other call does this by itself before its first command; call it at start-up
   * to fail early. One round trip, once per TaskQueue object.
   * On a partitioned queue, first records the partition count on a new queue and compares it on
   * one in use.
   * @throws {@link LayoutMismatchError} when the keys were written by another version (nothing changed).
   * @throws {@link PartitionMismatchError} when the queue has another partition count than this object (nothing changed).
   */
  async checkLayout(): Promise<void> {
    if (this.partitioned) return await this.partitioned.checkLayout();
    const check = async (): Promise<void> => {
      // A partition first checks the queue's partition count (once for all of them).
      await this.partition?.checkCount();
      await checkLayout(this.redis, this.keys.base);
    };
    this.layoutChecked ??= withTimeout(check(), this.timeoutMs, 'checkLayout').catch((error: unknown) => {
      // Only a mismatch is final; a Redis that did not answer is asked again next time.
      if (!(error instanceof LayoutMismatchError) && !(error instanceof PartitionMismatchError)) this.layoutChecked = undefined;
      throw error;
    });
    await this.layoutChecked;
    this.layoutOk = true;
  }

  /** Closes the connection this queue opened for blocking waits (not the one it was given). */
  async close(): Promise<void> {
    await this.partitioned?.close();
    this.waiter.close();
    await this.scheduleOps.settled();
    this.putConnection?.disconnect();
    this.putConnection = undefined;
  }

  /**
   * Counts and totals of each partition, by index (one entry on a queue of one partition). One round
   * trip per partition, in parallel.
   */
  async partitionStats(): Promise<QueueStats[]> {
    if (this.partitioned) return await this.partitioned.partitionStats();
    return [await this.stats()];
  }

  /** The connection puts that wait for replicas go over: the partitions' shared one, or the queue's own, made at the first put. */
  private connectionForPuts(): Redis | Cluster {
    if (this.partition) return this.partition.putConnection();
    if (this.putConnection === undefined) {
      // Its first commands wait for it to connect (bounded below), whatever the shared one does.
      this.putConnection = duplicateClient(this.redis, { enableOfflineQueue: true });
      this.putConnection.on('error', () => {
        // It reconnects by itself; a put meanwhile fails with RedisUnavailableError.
      });
    }
    return this.putConnection;
  }

  /** Unique per reserve call: this queue object's random seed and a counter (no crypto call). */
  private nextTokenPrefix(): string {
    return `${this.tokenSeed}${(this.reserveCalls += 1).toString(36)}`;
  }

  private async reserveOnce(
    count: number, leaseMs: number, consumer: string, tokenPrefix: string, waiter: string, waitMs: number, ackArgs: (string | number)[],
  ) {
    const reply = (await this.run('reserve', [count, leaseMs, consumer, tokenPrefix, this.deadRetentionMs, waiter, waitMs, ...ackArgs])) as [
      number[], string[], number, number,
    ];
    const [ackReply, flat, hint, refill] = reply;
    // A cron schedule is running short of due times: computed here (Lua cannot), in the background.
    if (refill === 1) this.scheduleOps.refillSoon();
    return { acked: ackReply.map((value) => value === 1), messages: await this.toMessages(flat), hint: Number(hint) };
  }

  /** Messages from the flat fields a reserve or a hand-off returns, five per message. */
  private async toMessages(flat: readonly string[]): Promise<ReservedMessage<T>[]> {
    const messages: ReservedMessage<T>[] = [];
    const undecodable: Array<{ lease: Lease; error: unknown }> = [];
    for (let index = 0; index < flat.length; index += 5) {
      const id = flat[index] as string;
      const token = flat[index + 4] as string;
      try {
        const payload = this.codec.decode(flat[index + 1] as string);
        messages.push({ id, token, payload, attempt: Number(flat[index + 2]), maxAttempts: Number(flat[index + 3]) });
      } catch (error) {
        undecodable.push({ lease: { id, token }, error });
      }
    }
    // A message that cannot be decoded would fail the same way forever: dead-letter it at once.
    for (const { lease, error } of undecodable) {
      await this.nack(lease, { dead: true, reason: `payload could not be decoded: ${(error as Error)?.message ?? String(error)}` });
    }
    return messages;
  }

  private ackArgs(acks: readonly AckRequest[]): (string | number)[] {
    if (!Array.isArray(acks)) throw new InvalidArgumentError('options.acks', 'an array of { lease, vars?, hook? }', acks);
    const args: (string | number)[] = [acks.length];
    acks.forEach((ack, index) => {
      const at = acks.length === 1 ? '' : `acks[${index}].`;
      if (typeof ack !== 'object' || ack === null) throw new InvalidArgumentError(`acks[${index}]`, 'an object', ack);
      this.checkLease(`${at}lease`, ack.lease);
      const vars = checkVars(`${at}vars`, ack.vars);
      args.push(ack.lease.id, ack.lease.token, vars ? JSON.stringify(vars) : '', checkHookName(`${at}hook`, ack.hook));
    });
    return args;
  }

  private checkLease(argument: string, lease: unknown): asserts lease is Lease {
    const candidate = lease as Lease | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.token !== 'string' || candidate.token === '') {
      throw new InvalidArgumentError(argument, 'a lease { id, token } from reserve()', lease);
    }
    checkMessageId(`${argument}.id`, candidate.id);
  }

  private encode(payload: T, argument: string): string {
    let text: string | undefined;
    try {
      text = this.codec.encode(payload);
    } catch (error) {
      throw new InvalidArgumentError(argument, `a value the codec can encode (${(error as Error).message})`);
    }
    if (typeof text !== 'string') throw new InvalidArgumentError(argument, 'a value the codec can encode', payload);
    return text;
  }

  private limitKeys(): { base: string; limits: string; wake: string } {
    return { base: this.keys.base, limits: this.key(KEY.limits), wake: this.key(KEY.wake) };
  }

  /** Runs a pipeline of reads and returns their values, throwing the first error. */
  private async readAll(pipeline: ReturnType<(Redis | Cluster)['pipeline']>, name: string): Promise<unknown[]> {
    const results = await withTimeout(pipeline.exec(), this.timeoutMs, name);
    return (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }

  private key(index: number): string {
    return this.keys.fixed[index] as string;
  }

  /**
   * `run` followed by `WAIT` in the same round trip, over the put connection: a WAIT holds up the
   * commands behind it on its connection until the replicas answer, which reads and reserves on the
   * shared connection must not wait for.
   */
  private async runAndWait(name: ScriptName, args: (string | number)[]): Promise<{ reply: string[]; replicas: number }> {
    if (!this.layoutOk) await this.checkLayout();
    const work = this.scripts.runAndWait(this.connectionForPuts(), name, this.keys.declared, [this.keys.base, ...args], this.waitReplicas, this.waitReplicasTimeoutMs);
    try {
      const { reply, replicas } = await withTimeout(work, this.timeoutMs + this.waitReplicasTimeoutMs, name);
      return { reply: reply as string[], replicas };
    } catch (error) {
      throw scriptFailure(name, error);
    }
  }

  /** Runs a command of the queue's library, bounded by the command timeout. Not an async function: see {@link LuaLibrary.call}. */
  private run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    if (!this.layoutOk) return this.checkLayout().then(() => this.runChecked(name, args));
    return this.runChecked(name, args);
  }

  private runChecked(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    return withTimeout(this.scripts.run(this.redis, name, this.keys.declared, [this.keys.base, ...args]), this.timeoutMs, name)
      .catch((error: unknown) => {
        throw scriptFailure(name, error);
      });
  }
}

/** A failed call of command `name`: a QueueError as it came, or a Lua error (usually in caller-supplied hooks) named by its script. */
function scriptFailure(name: ScriptName, error: unknown): QueueError {
  if (error instanceof QueueError) return error;
  return new QueueError('script_failed', `TaskQueue ${name} failed: ${(error as Error).message}`, { cause: error });
}

function firstResult(results: PutResult[]): PutResult {
  return results[0] as PutResult;
}

/** The outcomes of a put's messages, from the script's reply (outcome and detail per message). */
function putOutcomes(ids: readonly string[], reply: readonly string[]): PutResult[] {
  return ids.map((id, index) => {
    const outcome = reply[index * 2] as PutResult['outcome'];
    const detail = reply[index * 2 + 1];
    return outcome === 'refused' ? { id, outcome, refusal: detail ?? '' } : { id, outcome };
  });
}

/** What a failed put is to its caller: the typed refusal the script's error names, or the error as it came. */
function putRefusal(error: unknown, count: number, total: number): unknown {
  const message = String((error as Error).message);
  const refused = /HOTQ_REFUSED (\d+) (.*)$/s.exec(message);
  if (refused) return new MessageRefusedError(Number(refused[1]), refused[2] ?? '', total);
  const dependency = /HOTQ_DEPENDENCY (\d+) (\S+)/.exec(message);
  if (dependency) return new DependencyError(Number(dependency[1]), dependency[2] ?? '', total);
  const full = /HOTQ_FULL (\d+) (\d+)/.exec(message);
  if (full) return new QueueFullError(Number(full[1]), Number(full[2]), count);
  return error;
}
