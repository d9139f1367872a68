/**
 * Redis queue primitives: HotQueue (compatible with Python hotqueue) and TaskQueue (reliable delivery with leases).
 * @packageDocumentation
 */
export {
  QueueError, DependencyError, InvalidArgumentError, LayoutMismatchError, MessageRefusedError, NotReplicatedError, PartialPutError, PartitionMismatchError, QueueFullError,
  RedisUnavailableError, SerializationError,
} from './errors.js';

// TaskQueue
export { TaskQueue } from './task-queue.js';
export { MAX_PARTITIONS, QueuePartitions } from './queue-partitions.js';
export { SCHEDULE_MIN_EVERY_MS } from './_schedule-spec.js';
export type {
  AckRequest,
  Codec,
  DeadLetter,
  ExtendResult,
  Lease,
  Limit,
  LimitSpec,
  LimitUsage,
  MinuteCounts,
  NackOptions,
  PutOptions,
  PutResult,
  QueueStats,
  MisfirePolicy,
  OverlapPolicy,
  RemoveResult,
  ReserveOptions,
  ReserveResult,
  ReservedMessage,
  Schedule,
  ScheduleRun,
  ScheduleSpec,
  SetScheduleResult,
  StopListener,
  TaskQueueOptions,
} from './task-queue-types.js';

export { HOOK_NAMES, MESSAGE_FIELDS } from './hooks.js';
export type { HookContext, HookName, QueueHooks } from './hooks.js';
export { LuaLibrary } from './lua-library.js';
export { isRedisUnavailable } from './redis-errors.js';
export { duplicateClient, withTimeout } from './_redis.js';
export { connectRedis, describeRedisConnection, parseRedisConnection, redisConnectionFromEnv } from './redis-connection.js';
export type { RedisAddress, RedisConnection, RedisConnectionInput } from './redis-connection.js';

// HotQueue
export { HotQueue } from './hot-queue.js';
export type { HotQueueConsumeOptions, HotQueueGetOptions, HotQueueOptions, HotQueueWorker } from './hot-queue.js';
export type { Serializer, SerializerName } from './serializers/serializer.js';
export { jsonSerializer } from './serializers/json.js';
export { pickleSerializer } from './serializers/pickle.js';
export { rawSerializer } from './serializers/raw.js';
export { UnsafePickleError } from './errors.js';
