import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { InvalidArgumentError, QueueError } from './errors.js';
import { inboxKey, unframe, waiterEntry } from './_inbox.js';
import { KEY, queueKeys, type QueueKeys } from './_keys.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, withTimeout } from './_redis.js';
import { ScriptSet, type ScriptName } from './_scripts.js';
import { WorkWaiter } from './_work-waiter.js';
import { checkHookName, checkInteger, checkMessageId, checkName, checkVars } from './_validate.js';
import type {
  AckRequest,
  Codec,
  DeadLetter,
  ExtendResult,
  Lease,
  NackOptions,
  PutOptions,
  PutResult,
  QueueStats,
  RemoveResult,
  ReserveOptions,
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
  private readonly waiter: WorkWaiter;
  private readonly tokenSeed = randomBytes(6).toString('base64url');
  private reserveCalls = 0;

  constructor(options: TaskQueueOptions<T>) {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', options);
    if (typeof options.redis !== 'object' || options.redis === null || typeof options.redis.evalsha !== 'function') {
      throw new InvalidArgumentError('options.redis', 'an ioredis client or Cluster', options.redis);
    }
    this.redis = options.redis;
    this.name = checkName('options.name', options.name);
    this.prefix = checkName('options.prefix', options.prefix ?? 'hotq');
    if (options.hooks !== undefined && (typeof options.hooks !== 'string' || options.hooks.trim() === '')) {
      throw new InvalidArgumentError('options.hooks', 'a Lua chunk that returns a table of hook functions', options.hooks);
    }
    this.leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? 30_000, 1, MAX_LEASE_MS);
    this.maxAttempts = checkInteger('options.maxAttempts', options.maxAttempts ?? 3, 1, 1_000_000);
    this.deadRetentionMs = checkInteger('options.deadRetentionMs', options.deadRetentionMs ?? 7 * DAY_MS, 0);
    this.timeoutMs = checkInteger('options.commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, 1);
    this.codec = options.codec ?? (jsonCodec as Codec<T>);
    this.keys = queueKeys(this.prefix, this.name);
    this.scripts = new ScriptSet(options.hooks);
    this.waiter = new WorkWaiter(this.redis, this.key(KEY.wake), this.timeoutMs);
  }

  /** The hash-tagged base every key of this queue starts with, `{prefix:name}`. */
  get keyBase(): string {
    return this.keys.base;
  }

  /** Adds one message. One round trip. */
  async put(payload: T, options: PutOptions = {}): Promise<PutResult> {
    const [result] = await this.putMany([{ payload, ...options }]);
    return result as PutResult;
  }

  /** Adds many messages atomically, in order, in one round trip. */
  async putMany(messages: ReadonlyArray<{ payload: T } & PutOptions>): Promise<PutResult[]> {
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InvalidArgumentError('messages', 'a non-empty array of { payload, ...options }', messages);
    }
    // Validate and encode everything before anything is sent: a bad message writes nothing.
    const args: (string | number)[] = [messages.length];
    const ids: string[] = [];
    messages.forEach((message, index) => {
      const at = messages.length === 1 ? 'options' : `messages[${index}]`;
      if (typeof message !== 'object' || message === null) throw new InvalidArgumentError(at, 'an object', message);
      const id = message.id === undefined ? nextId() : checkMessageId(`${at}.id`, message.id);
      const delayMs = checkInteger(`${at}.delayMs`, message.delayMs ?? 0, 0, 365 * DAY_MS);
      const maxAttempts = checkInteger(`${at}.maxAttempts`, message.maxAttempts ?? this.maxAttempts, 1, 1_000_000);
      const vars = checkVars(`${at}.vars`, message.vars);
      const hook = checkHookName(`${at}.hook`, message.hook);
      args.push(id, this.encode(message.payload, `${messages.length === 1 ? 'payload' : `messages[${index}].payload`}`), delayMs, maxAttempts, vars ? JSON.stringify(vars) : '', hook);
      ids.push(id);
    });
    const reply = (await this.run('put', args)) as string[];
    return ids.map((id, index) => {
      const outcome = reply[index * 2] as PutResult['outcome'];
      const detail = reply[index * 2 + 1];
      return outcome === 'refused' ? { id, outcome, refusal: detail ?? '' } : { id, outcome };
    });
  }

  /**
   * Leases up to `count` ready messages, after applying `acks`. With `waitMs`, waits for a message
   * when none is ready, on a connection of its own; a message put meanwhile is leased to the waiting
   * call directly and arrives with the wake-up, so it costs no second round trip.
   */
  async reserve(options: ReserveOptions = {}): Promise<ReserveResult<T>> {
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
    checkMessageId('id', id);
    const vars = checkVars('options.vars', options.vars);
    const hook = checkHookName('options.hook', options.hook);
    const [outcome, detail] = (await this.run('remove', [id, vars ? JSON.stringify(vars) : '', hook])) as [RemoveResult['outcome'], string];
    return outcome === 'refused' ? { outcome, refusal: detail } : { outcome };
  }

  /** Stops consumers from taking messages until {@link TaskQueue.resume}. */
  async pause(): Promise<void> {
    await withTimeout(this.redis.set(this.key(KEY.paused), '1'), this.timeoutMs, 'pause');
  }

  /** Lets consumers take messages again. */
  async resume(): Promise<void> {
    await withTimeout(this.redis.del(this.key(KEY.paused)), this.timeoutMs, 'resume');
    await withTimeout(this.redis.lpush(this.key(KEY.wake), '1'), this.timeoutMs, 'resume');
  }

  /** Counts by state and running totals. One round trip (a pipeline of reads). */
  async stats(): Promise<QueueStats> {
    const pipeline = this.redis.pipeline()
      .llen(this.key(KEY.ready))
      .zcard(this.key(KEY.delayed))
      .zcard(this.key(KEY.leased))
      .zcard(this.key(KEY.dead))
      .exists(this.key(KEY.paused))
      .hgetall(this.key(KEY.stats));
    const results = await withTimeout(pipeline.exec(), this.timeoutMs, 'stats');
    const values = (results ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const totals = (values[5] ?? {}) as Record<string, string>;
    const total = (name: string): number => Number(totals[name] ?? 0);
    return {
      ready: values[0] as number,
      delayed: values[1] as number,
      leased: values[2] as number,
      dead: values[3] as number,
      paused: values[4] === 1,
      totals: {
        put: total('put'), acked: total('acked'), retried: total('retried'),
        dead: total('dead'), expired: total('expired'), released: total('released'),
      },
    };
  }

  /** The newest dead letters, newest first. */
  async deadLetters(options: { limit?: number } = {}): Promise<DeadLetter<T>[]> {
    const limit = checkInteger('options.limit', options.limit ?? 50, 1, 1_000);
    const entries = await withTimeout(this.redis.zrevrange(this.key(KEY.dead), 0, limit - 1, 'WITHSCORES'), this.timeoutMs, 'deadLetters');
    const letters: DeadLetter<T>[] = [];
    for (let index = 0; index < entries.length; index += 2) {
      const id = entries[index] as string;
      const [payload, attempts, reason] = await withTimeout(
        this.redis.hmget(`${this.keys.base}:m:${id}`, 'p', 'a', 'r'), this.timeoutMs, 'deadLetters');
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

  /** Closes the connection this queue opened for blocking waits (not the one it was given). */
  async close(): Promise<void> {
    this.waiter.close();
  }

  /** Unique per reserve call: this queue object's random seed and a counter (no crypto call). */
  private nextTokenPrefix(): string {
    return `${this.tokenSeed}${(this.reserveCalls += 1).toString(36)}`;
  }

  private async reserveOnce(
    count: number, leaseMs: number, consumer: string, tokenPrefix: string, waiter: string, waitMs: number, ackArgs: (string | number)[],
  ) {
    const reply = (await this.run('reserve', [count, leaseMs, consumer, tokenPrefix, this.deadRetentionMs, waiter, waitMs, ...ackArgs])) as [
      number[], string[], number,
    ];
    const [ackReply, flat, hint] = reply;
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

  private key(index: number): string {
    return this.keys.fixed[index] as string;
  }

  private async run(name: ScriptName, args: (string | number)[]): Promise<unknown> {
    try {
      return await withTimeout(this.scripts.run(this.redis, name, this.keys.fixed, [this.keys.base, ...args]), this.timeoutMs, name);
    } catch (error) {
      if (error instanceof QueueError) throw error;
      // A Lua error (usually in caller-supplied hooks) surfaces with the script's name.
      throw new QueueError('script_failed', `TaskQueue ${name} failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
