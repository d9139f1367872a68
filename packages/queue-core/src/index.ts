/**
 * Redis queue primitives: HotQueue (compatible with Python hotqueue) and TaskQueue (reliable delivery with leases).
 * @packageDocumentation
 */
export { QueueError, InvalidArgumentError, RedisUnavailableError, SerializationError } from './errors.js';

// TaskQueue
export { TaskQueue } from './task-queue.js';
export type {
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
