// What the partitioned side of a TaskQueue (_partitioned-queue.ts) needs from the queue of each
// partition, without making any of it public: how a partition's queue is built, and its
// package-private steps (validating a put apart from sending it, one reserve call with its hint).
import type { Cluster, Redis } from 'ioredis';
import type { QueuePartitions } from './queue-partitions.js';
import type { AckRequest, PutOptions, PutResult, ReservedMessage } from './task-queue-types.js';

/** The option key (absent from the public options type) that makes a TaskQueue one partition of another. */
export const PARTITION = Symbol('hotq.partition');

/** How a TaskQueue of one partition differs from a queue of its own. */
export interface PartitionSpec {
  /** The partition's key base. */
  readonly base: string;
  /** Its index. */
  readonly index: number;
  /** The partitioning of the whole queue. */
  readonly partitions: QueuePartitions;
  /** The hooks chunk written for this partition's keys, if any. */
  readonly hooksSource: string | undefined;
  /** The connection puts that wait for replicas go over, shared by the partitions. */
  putConnection(): Redis | Cluster;
  /** Checks the queue's partition count, once for all partitions (see _layout.ts). */
  checkCount(): Promise<void>;
}

/** A put validated and encoded, ready to send. */
export interface PreparedPut {
  readonly args: (string | number)[];
  readonly ids: string[];
}

/** The package-private steps of a partition's queue. */
export interface PartitionSteps<T> {
  /** Validates and encodes messages (nothing sent); errors name `messages[positions[i]]` of a batch of `total`. */
  preparePut(messages: ReadonlyArray<{ payload: T } & PutOptions>, positions: readonly number[], total: number): PreparedPut;
  /** Sends a prepared put: one round trip. */
  sendPut(prepared: PreparedPut, total: number): Promise<PutResult[]>;
  /** Validates acknowledgements (nothing sent) into a reserve's arguments. */
  ackArgs(acks: readonly AckRequest[]): (string | number)[];
  /** One reserve call, without waiting: the acks applied, the messages leased and the hint (ms until something is due, -1 none). */
  take(count: number, leaseMs: number, consumer: string, ackArgs: (string | number)[]): Promise<{ acked: boolean[]; messages: ReservedMessage<T>[]; hint: number }>;
}

/** The steps of each TaskQueue, registered by its constructor. */
export const partitionSteps = new WeakMap<object, PartitionSteps<unknown>>();
