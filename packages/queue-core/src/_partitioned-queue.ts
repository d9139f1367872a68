// A TaskQueue of several partitions (docs/decisions/0021): one TaskQueue per partition, each on its
// own hash tag, and this router in front of them. A step of one message goes to the partition its
// id names (one round trip, as on any queue); puts go one call per partition, in parallel; reserve
// takes from the partitions in turn and, when all are empty, sleeps on the queue's doorbell.
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { DependencyError, InvalidArgumentError, MessageRefusedError, NotReplicatedError, PartialPutError, PartitionMismatchError } from './errors.js';
import type { QueueHooks } from './hooks.js';
import { encodeLimit } from './_limits.js';
import { checkPartitionCount } from './_layout.js';
import { Doorbell } from './_doorbell.js';
import { partitionSteps, type PartitionSpec, type PartitionSteps, type PreparedPut } from './_partition-access.js';
import { duplicateClient } from './_redis.js';
import { checkInteger, checkMessageId } from './_validate.js';
import { checkPartitionKey, type QueuePartitions } from './queue-partitions.js';
import type { TaskQueue } from './task-queue.js';
import type {
  AckRequest, DeadLetter, ExtendResult, Lease, Limit, LimitSpec, LimitUsage, MinuteCounts, NackOptions, PutOptions, PutResult, QueueStats,
  RemoveResult, ReserveOptions, ReserveResult, ReservedMessage, TaskQueueOptions,
} from './task-queue-types.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_LEASE_MS = 7 * DAY_MS;
/**
 * Reserve calls in a row a consumer makes on one partition while it keeps finding full batches there,
 * before it moves on: the acks of the jobs it took ride on the next call to the same partition
 * (no extra call), and no partition waits more than P times this many calls for its turn.
 */
const STICKY_CALLS = 8;
const nextUlid = monotonicFactory();

/** What the router is built from: the outer queue's options and checked values. */
export interface PartitionedQueueOptions<T> {
  readonly options: TaskQueueOptions<T>;
  readonly partitions: QueuePartitions;
  readonly hooks: QueueHooks | undefined;
  readonly timeoutMs: number;
  readonly leaseMs: number;
  /** The queue's maximum of waiting messages (0: none), shared out among the partitions. */
  readonly maxQueued: number;
  readonly waitReplicasTimeoutMs: number;
  /** Makes the TaskQueue of one partition. */
  readonly makePartition: (spec: PartitionSpec, options: TaskQueueOptions<T>) => TaskQueue<T>;
}

/** A share of `total` for partition `index` of `count`: the shares add up to `total` exactly. */
function share(total: number, index: number, count: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

export class PartitionedQueue<T> {
  private readonly redis: Redis | Cluster;
  private readonly partitions: QueuePartitions;
  private readonly queues: readonly TaskQueue<T>[];
  private readonly steps: readonly PartitionSteps<T>[];
  private readonly doorbell: Doorbell;
  private readonly leaseMs: number;
  private readonly waitReplicasTimeoutMs: number;
  private putConnection: Redis | Cluster | undefined;
  private countChecked: Promise<void> | undefined;
  /** The partition the next reserve call takes from first, and how many calls in a row it has. */
  private cursor: number;
  private streak = 0;
  private readonly sleeperSeed = randomBytes(6).toString('base64url');
  private naps = 0;

  constructor(made: PartitionedQueueOptions<T>) {
    const { options, partitions, hooks } = made;
    this.redis = options.redis;
    this.partitions = partitions;
    this.leaseMs = made.leaseMs;
    this.waitReplicasTimeoutMs = made.waitReplicasTimeoutMs;
    if (hooks?.keyBase !== undefined && hooks.keyBase !== partitions.keyBase) {
      throw new InvalidArgumentError('options.hooks', `hooks written for this queue's key base ${partitions.keyBase} (these keep records under ${hooks.keyBase}: `
        + 'give the TaskQueue and the store the same prefix and queue name)');
    }
    if (hooks?.keyBase !== undefined && hooks.partitionSource === undefined) {
      throw new InvalidArgumentError('options.hooks', `hooks with a partitionSource on a queue of ${partitions.count} partitions `
        + '(these were written for one key base: give the store the same partitions as the queue)');
    }
    this.queues = partitions.keyBases.map((base, index) => made.makePartition({
      base, index, partitions,
      hooksSource: hooks === undefined ? undefined : (hooks.partitionSource?.(base) ?? hooks.source),
      putConnection: () => this.connectionForPuts(),
      checkCount: async () => await this.checkCount(),
    }, {
      ...options,
      ...(made.maxQueued === 0 ? {} : { maxQueued: Math.max(1, Math.ceil(made.maxQueued / partitions.count)) }),
    }));
    this.steps = this.queues.map((queue) => partitionSteps.get(queue) as PartitionSteps<T>);
    this.doorbell = new Doorbell(this.redis, partitions.keyBase, made.timeoutMs);
    this.cursor = partitions.nextPartition();
  }

  /** The queue of partition 0, which holds the schedules and the priority ageing. */
  get schedulesQueue(): TaskQueue<T> {
    return this.queues[0] as TaskQueue<T>;
  }

  /**
   * One put per partition that gets messages, in parallel, each atomic. Everything is validated
   * before anything is sent; a partition that fails does not undo the others ({@link PartialPutError}).
   */
  async putMany(messages: ReadonlyArray<{ payload: T } & PutOptions>): Promise<PutResult[]> {
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new InvalidArgumentError('messages', 'a non-empty array of { payload, ...options }', messages);
    }
    const total = messages.length;
    const groups = new Map<number, { positions: number[]; messages: Array<{ payload: T } & PutOptions> }>();
    messages.forEach((message, position) => {
      const at = total === 1 ? 'options' : `messages[${position}]`;
      if (typeof message !== 'object' || message === null) throw new InvalidArgumentError(at, 'an object', message);
      const { partition, id } = this.placeOf(message, at);
      const group = groups.get(partition) ?? { positions: [], messages: [] };
      group.positions.push(position);
      group.messages.push({ ...message, id });
      groups.set(partition, group);
    });
    const prepared: Array<[number, number[], PreparedPut]> = [...groups].map(([partition, group]) => [
      partition, group.positions, (this.steps[partition] as PartitionSteps<T>).preparePut(group.messages, group.positions, total),
    ]);
    const sent = await Promise.allSettled(prepared.map(async ([partition, , put]) => await (this.steps[partition] as PartitionSteps<T>).sendPut(put, total)));

    const results: Array<PutResult | undefined> = new Array<PutResult | undefined>(total);
    const written: number[] = [];
    const failed: number[] = [];
    let failure: unknown;
    let notReplicated: NotReplicatedError | undefined;
    sent.forEach((outcome, index) => {
      const [, positions, put] = prepared[index] as [number, number[], PreparedPut];
      if (outcome.status === 'fulfilled') {
        outcome.value.forEach((result, at) => {
          results[positions[at] as number] = result;
        });
        written.push(...positions);
      } else if (outcome.reason instanceof NotReplicatedError) {
        // Written on the master; reported below, with every id of the put.
        put.ids.forEach((id, at) => {
          results[positions[at] as number] = { id, outcome: 'queued' };
        });
        written.push(...positions);
        if (notReplicated === undefined || outcome.reason.acknowledged < notReplicated.acknowledged) notReplicated = outcome.reason;
      } else {
        failed.push(...positions);
        failure ??= outcome.reason instanceof MessageRefusedError
          ? new MessageRefusedError(positions[outcome.reason.index] ?? outcome.reason.index, outcome.reason.reason, total)
          : outcome.reason instanceof DependencyError
            ? new DependencyError(positions[outcome.reason.index] ?? outcome.reason.index, outcome.reason.dependency, total)
            : outcome.reason;
      }
    });
    this.doorbell.ring(results.filter((result) => result?.outcome === 'queued' || result?.outcome === 'delayed').length);
    if (failure !== undefined) {
      if (written.length === 0) throw failure;
      throw new PartialPutError(written.sort((a, b) => a - b), failed.sort((a, b) => a - b), failure);
    }
    if (notReplicated) {
      throw new NotReplicatedError(notReplicated.acknowledged, notReplicated.wanted, this.waitReplicasTimeoutMs, (results as PutResult[]).map((result) => result.id));
    }
    return results as PutResult[];
  }

  /** The one partition that holds every dependency named, or undefined when none is named. */
  private dependenciesPartition(dependsOn: readonly string[] | undefined, at: string): number | undefined {
    if (!Array.isArray(dependsOn) || dependsOn.length === 0) return undefined;
    let found: number | undefined;
    dependsOn.forEach((dep, index) => {
      const partition = typeof dep === 'string' ? this.partitions.partitionOf(dep) : undefined;
      if (partition === undefined) {
        throw new InvalidArgumentError(`${at}.dependsOn[${index}]`, `the id of a message of this queue (one of its ${this.partitions.count} partitions)`, dep);
      }
      if (found !== undefined && partition !== found) {
        throw new InvalidArgumentError(`${at}.dependsOn[${index}]`, `a message of the same partition as the others (${found}): a message waits only on messages of one partition`, dep);
      }
      found = partition;
    });
    return found;
  }

  /**
   * Where a message goes: the partition its id names, else its dependencies' (a message waits only
   * on messages of its own partition: one atomic call settles them), else its partition key's, else
   * the next in turn.
   */
  private placeOf(message: PutOptions, at: string): { partition: number; id: string } {
    if (message.partitionKey !== undefined) checkPartitionKey(`${at}.partitionKey`, message.partitionKey);
    const depsPartition = this.dependenciesPartition(message.dependsOn, at);
    if (message.id !== undefined) {
      const id = checkMessageId(`${at}.id`, message.id);
      const partition = this.partitions.partitionOf(id);
      if (partition === undefined) {
        throw new InvalidArgumentError(`${at}.id`, `an id that names one of the queue's ${this.partitions.count} partitions `
          + '(a ULID made by QueuePartitions.stampId), or no id', id);
      }
      if (depsPartition !== undefined && depsPartition !== partition) {
        throw new InvalidArgumentError(`${at}.dependsOn`, `messages of the partition the message's id names (${partition}): a message waits only on messages of its own partition`, message.dependsOn);
      }
      return { partition, id };
    }
    const partition = depsPartition
      ?? (message.partitionKey === undefined ? this.partitions.nextPartition() : this.partitions.partitionForKey(message.partitionKey));
    return { partition, id: this.partitions.stampId(nextUlid(), partition) };
  }

  /**
   * Applies the acks (each on its partition, in parallel with the first take) and leases up to
   * `count` messages, taking from the partitions in turn (see {@link STICKY_CALLS}). When every
   * partition is empty and `waitMs` allows, sleeps on the doorbell (see _doorbell.ts): registered
   * first, every partition looked at again, then one blocking read, bounded by the partitions' hints
   * and `waitMs`, and a last look.
   */
  async reserve(options: ReserveOptions): Promise<ReserveResult<T>> {
    const count = checkInteger('options.count', options.count ?? 1, 0, 10_000);
    const leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? this.leaseMs, 1, MAX_LEASE_MS);
    const waitMs = checkInteger('options.waitMs', options.waitMs ?? 0, 0, DAY_MS);
    const consumer = options.consumer ?? 'anonymous';
    if (typeof consumer !== 'string' || consumer.length > 200) {
      throw new InvalidArgumentError('options.consumer', 'a string of at most 200 characters', consumer);
    }
    const acks = options.acks ?? [];
    if (!Array.isArray(acks)) throw new InvalidArgumentError('options.acks', 'an array of { lease, vars?, hook? }', acks);
    const signal = options.signal;
    // Validated as a whole (nothing sent) before the first call.
    const ackGroups = this.groupAcks(acks);

    const acked = acks.map(() => false);
    const messages: ReservedMessage<T>[] = [];
    const target = count > 0 ? this.cursor : -1;
    const calls: Array<Promise<void>> = [];
    let hint = -1;
    const noteHint = (value: number): void => {
      if (value >= 0 && (hint < 0 || value < hint)) hint = value;
    };
    for (const [partition, group] of ackGroups) {
      if (partition === target) continue;
      calls.push(this.take(partition, 0, leaseMs, consumer, group.args).then(({ acked: applied }) => {
        applied.forEach((ok, at) => {
          acked[group.positions[at] as number] = ok;
        });
      }));
    }
    if (target >= 0) {
      const group = ackGroups.get(target);
      calls.push(this.take(target, count, leaseMs, consumer, group?.args ?? [0]).then((reply) => {
        reply.acked.forEach((ok, at) => {
          acked[group?.positions[at] as number] = ok;
        });
        messages.push(...reply.messages);
        noteHint(reply.hint);
      }));
    }
    await Promise.all(calls);
    if (target < 0) return { messages, acked };
    this.moveCursor(target, messages.length >= count);
    if (messages.length >= count) return { messages, acked };

    // The first partition had too little: the others, in turn.
    noteHint(await this.scan(target + 1, count, leaseMs, consumer, messages));
    if (messages.length > 0 || waitMs === 0 || signal?.aborted) return { messages, acked };

    const member = `${this.sleeperSeed}${(this.naps += 1).toString(36)}`;
    await this.doorbell.register(member, waitMs);
    // A put between the look above and the registration rang for nobody: look once more.
    hint = -1;
    noteHint(await this.scan(this.cursor, count, leaseMs, consumer, messages));
    if (messages.length === 0 && !signal?.aborted) {
      await this.doorbell.sleep(member, hint >= 0 ? Math.min(waitMs, Math.max(hint, 1)) : waitMs, signal);
    }
    this.doorbell.unregister(member);
    if (messages.length === 0 && !signal?.aborted) await this.scan(this.cursor, count, leaseMs, consumer, messages);
    return { messages, acked };
  }

  /**
   * Takes from every partition once, starting at `first`, until `messages` holds `count`; returns the
   * smallest hint of those that had nothing.
   */
  private async scan(first: number, count: number, leaseMs: number, consumer: string, messages: ReservedMessage<T>[]): Promise<number> {
    let hint = -1;
    const { count: partitions } = this.partitions;
    for (let step = 0; step < partitions && messages.length < count; step += 1) {
      const partition = (first + step) % partitions;
      if (step > 0 && partition === first) break;
      const reply = await this.take(partition, count - messages.length, leaseMs, consumer, [0]);
      messages.push(...reply.messages);
      if (reply.hint >= 0 && (hint < 0 || reply.hint < hint)) hint = reply.hint;
      if (reply.messages.length > 0) this.moveCursor(partition, messages.length >= count);
    }
    return hint;
  }

  /** Stays on a partition that gave a full batch, up to STICKY_CALLS calls; otherwise moves on. */
  private moveCursor(partition: number, full: boolean): void {
    if (full && partition === this.cursor && this.streak + 1 < STICKY_CALLS) {
      this.streak += 1;
      return;
    }
    this.cursor = full && partition !== this.cursor ? partition : (partition + 1) % this.partitions.count;
    this.streak = 0;
  }

  private async take(partition: number, count: number, leaseMs: number, consumer: string, ackArgs: (string | number)[]) {
    return await (this.steps[partition] as PartitionSteps<T>).take(count, leaseMs, consumer, ackArgs);
  }

  /**
   * The acks by partition, each group's arguments built (so validated) before anything is sent. An
   * ack whose id names no partition of this queue is stale: it is in no group and reported false.
   */
  private groupAcks(acks: readonly AckRequest[]): Map<number, { positions: number[]; args: (string | number)[] }> {
    const byPartition = new Map<number, { positions: number[]; acks: AckRequest[] }>();
    acks.forEach((ack, position) => {
      if (typeof ack !== 'object' || ack === null) throw new InvalidArgumentError(`acks[${position}]`, 'an object', ack);
      const partition = this.partitionOfLease(acks.length === 1 ? 'lease' : `acks[${position}].lease`, ack.lease);
      if (partition === undefined) return;
      const group = byPartition.get(partition) ?? { positions: [], acks: [] };
      group.positions.push(position);
      group.acks.push(ack);
      byPartition.set(partition, group);
    });
    return new Map([...byPartition].map(([partition, group]) => [
      partition, { positions: group.positions, args: (this.steps[partition] as PartitionSteps<T>).ackArgs(group.acks) },
    ]));
  }

  /** The partition of a lease's message (checked as a lease), or undefined when its id names none. */
  private partitionOfLease(argument: string, lease: unknown): number | undefined {
    const candidate = lease as Lease | null;
    if (typeof candidate !== 'object' || candidate === null || typeof candidate.token !== 'string' || candidate.token === '') {
      throw new InvalidArgumentError(argument, 'a lease { id, token } from reserve()', lease);
    }
    return this.partitions.partitionOf(checkMessageId(`${argument}.id`, candidate.id));
  }

  private queueOf(id: string): TaskQueue<T> | undefined {
    const partition = this.partitions.partitionOf(id);
    return partition === undefined ? undefined : this.queues[partition];
  }

  async ack(lease: Lease, options: Omit<AckRequest, 'lease'>): Promise<boolean> {
    const partition = this.partitionOfLease('lease', lease);
    return partition === undefined ? false : await (this.queues[partition] as TaskQueue<T>).ack(lease, options);
  }

  async nack(lease: Lease, options: NackOptions): Promise<'retry' | 'dead' | 'cancelled' | 'stale'> {
    const partition = this.partitionOfLease('lease', lease);
    if (partition === undefined) return 'stale';
    const outcome = await (this.queues[partition] as TaskQueue<T>).nack(lease, options);
    // Ready again at once, or soon: sleepers look again (and learn when it is due).
    if (outcome === 'retry') this.doorbell.ring(1);
    return outcome;
  }

  async extend(leases: readonly Lease[], options: { leaseMs?: number }): Promise<ExtendResult[]> {
    if (!Array.isArray(leases)) throw new InvalidArgumentError('leases', 'an array of leases', leases);
    const results: ExtendResult[] = leases.map((lease) => ({ id: (lease as Lease | null)?.id, held: false, cancelRequested: false }) as ExtendResult);
    const groups = this.groupLeases(leases);
    await Promise.all([...groups].map(async ([partition, group]) => {
      const replies = await (this.queues[partition] as TaskQueue<T>).extend(group.leases, options);
      replies.forEach((reply, at) => {
        results[group.positions[at] as number] = reply;
      });
    }));
    return results;
  }

  async release(leases: readonly Lease[]): Promise<number> {
    if (!Array.isArray(leases)) throw new InvalidArgumentError('leases', 'an array of leases', leases);
    const counts = await Promise.all([...this.groupLeases(leases)].map(async ([partition, group]) => await (this.queues[partition] as TaskQueue<T>).release(group.leases)));
    const released = counts.reduce((sum, count) => sum + count, 0);
    this.doorbell.ring(released);
    return released;
  }

  private groupLeases(leases: readonly Lease[]): Map<number, { positions: number[]; leases: Lease[] }> {
    const groups = new Map<number, { positions: number[]; leases: Lease[] }>();
    leases.forEach((lease, position) => {
      const partition = this.partitionOfLease(`leases[${position}]`, lease);
      if (partition === undefined) return;
      const group = groups.get(partition) ?? { positions: [], leases: [] };
      group.positions.push(position);
      group.leases.push(lease);
      groups.set(partition, group);
    });
    return groups;
  }

  async remove(id: string, options: { vars?: Record<string, string>; hook?: string }): Promise<RemoveResult> {
    checkMessageId('id', id);
    const queue = this.queueOf(id);
    return queue === undefined ? { outcome: 'missing' } : await queue.remove(id, options);
  }

  async pause(): Promise<void> {
    await Promise.all(this.queues.map(async (queue) => await queue.pause()));
  }

  async resume(): Promise<void> {
    await Promise.all(this.queues.map(async (queue) => await queue.resume()));
    this.doorbell.ring(10_000);
  }

  async partitionStats(): Promise<QueueStats[]> {
    return await Promise.all(this.queues.map(async (queue) => await queue.stats()));
  }

  /** The partitions' counts added up; paused when any partition is (they are paused and resumed together). */
  async stats(): Promise<QueueStats> {
    const all = await this.partitionStats();
    const sum = (pick: (stats: QueueStats) => number): number => all.reduce((total, stats) => total + pick(stats), 0);
    return {
      ready: sum((s) => s.ready), delayed: sum((s) => s.delayed), leased: sum((s) => s.leased), waiting: sum((s) => s.waiting), dead: sum((s) => s.dead),
      paused: all.some((s) => s.paused),
      totals: {
        put: sum((s) => s.totals.put), acked: sum((s) => s.totals.acked), retried: sum((s) => s.totals.retried),
        dead: sum((s) => s.totals.dead), expired: sum((s) => s.totals.expired), released: sum((s) => s.totals.released),
      },
    };
  }

  async throughput(minutes: number): Promise<MinuteCounts[]> {
    const all = await Promise.all(this.queues.map(async (queue) => await queue.throughput(minutes)));
    const [first = [], ...rest] = all;
    return first.map((counts, index) => {
      const row = { ...counts };
      for (const other of rest) {
        const them = other[index];
        if (!them) continue;
        row.put += them.put; row.acked += them.acked; row.retried += them.retried;
        row.dead += them.dead; row.expired += them.expired; row.released += them.released;
      }
      return row;
    });
  }

  /**
   * A limit shared out among the partitions, each enforcing its share (they add up to the limit), so
   * that the queue as a whole never goes past it. A share of 0 would hold a partition's jobs back for
   * good: a rate count or concurrency below the partition count is refused.
   */
  async setLimit(scope: string, spec: LimitSpec): Promise<Limit> {
    const { limit } = encodeLimit(scope, spec);
    const count = this.partitions.count;
    if (limit.rate !== null && limit.rate.count < count) {
      throw new InvalidArgumentError('limit.rate.count', `at least ${count} on a queue of ${count} partitions (each partition enforces its share of the limit)`, limit.rate.count);
    }
    if (limit.concurrency !== null && limit.concurrency < count) {
      throw new InvalidArgumentError('limit.concurrency', `at least ${count} on a queue of ${count} partitions (each partition enforces its share of the limit)`, limit.concurrency);
    }
    await Promise.all(this.queues.map(async (queue, index) => await queue.setLimit(limit.scope, {
      ...(limit.rate === null ? {} : { rate: { count: share(limit.rate.count, index, count), perMs: limit.rate.perMs } }),
      ...(limit.concurrency === null ? {} : { concurrency: share(limit.concurrency, index, count) }),
    })));
    return limit;
  }

  async removeLimit(scope: string): Promise<boolean> {
    const removed = await Promise.all(this.queues.map(async (queue) => await queue.removeLimit(scope)));
    return removed.some(Boolean);
  }

  /** The partitions' shares and usage added up, by scope. */
  async limits(): Promise<LimitUsage[]> {
    const all = await Promise.all(this.queues.map(async (queue) => await queue.limits()));
    const byScope = new Map<string, LimitUsage>();
    for (const usage of all.flat()) {
      const seen = byScope.get(usage.scope);
      if (!seen) {
        byScope.set(usage.scope, { ...usage, rate: usage.rate && { ...usage.rate } });
        continue;
      }
      if (usage.rate) seen.rate = seen.rate ? { count: seen.rate.count + usage.rate.count, perMs: seen.rate.perMs } : { ...usage.rate };
      if (usage.concurrency !== null) seen.concurrency = (seen.concurrency ?? 0) + usage.concurrency;
      seen.running += usage.running;
      seen.recentStarts += usage.recentStarts;
    }
    return [...byScope.values()].sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  }

  async setPriorityAgeing(ms: number): Promise<void> {
    await Promise.all(this.queues.map(async (queue) => await queue.setPriorityAgeing(ms)));
  }

  /** The newest dead letters of all partitions, newest first. */
  async deadLetters(limit: number): Promise<DeadLetter<T>[]> {
    const all = await Promise.all(this.queues.map(async (queue) => await queue.deadLetters({ limit })));
    return all.flat().sort((a, b) => b.diedAt - a.diedAt).slice(0, limit);
  }

  /** Each partition's layout, after the partition count (recorded on first use). */
  async checkLayout(): Promise<void> {
    await Promise.all(this.queues.map(async (queue) => await queue.checkLayout()));
  }

  /** The partition count, checked once for every partition (each asks before its first call). */
  private async checkCount(): Promise<void> {
    this.countChecked ??= checkPartitionCount(this.redis, this.partitions.keyBase, this.partitions.count).catch((error: unknown) => {
      // Only a mismatch is final; a Redis that did not answer is asked again next time.
      if (!(error instanceof PartitionMismatchError)) this.countChecked = undefined;
      throw error;
    });
    await this.countChecked;
  }

  async close(): Promise<void> {
    await Promise.all(this.queues.map(async (queue) => await queue.close()));
    this.doorbell.close();
    this.putConnection?.disconnect();
    this.putConnection = undefined;
  }

  /** One connection for the puts of every partition that wait for replicas, made at the first. */
  private connectionForPuts(): Redis | Cluster {
    if (this.putConnection === undefined) {
      this.putConnection = duplicateClient(this.redis, { enableOfflineQueue: true });
      this.putConnection.on('error', () => {
        // It reconnects by itself; a put meanwhile fails with RedisUnavailableError.
      });
    }
    return this.putConnection;
  }
}
