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

// HotQueue
export { HotQueue } from './hot-queue.js';
export type { HotQueueConsumeOptions, HotQueueGetOptions, HotQueueOptions, HotQueueWorker } from './hot-queue.js';
export type { Serializer, SerializerName } from './serializers/serializer.js';
export { jsonSerializer } from './serializers/json.js';
export { pickleSerializer } from './serializers/pickle.js';
export { rawSerializer } from './serializers/raw.js';
export { UnsafePickleError } from './errors.js';
