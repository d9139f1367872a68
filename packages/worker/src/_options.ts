import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { WorkerError } from './errors.js';
import type { Handlers } from './handler-types.js';
import { checkHandlers } from './_handlers-module.js';
import type { BackoffPolicy } from './_backoff.js';
import type { Isolation, WorkerOptions } from './worker-types.js';

/** Names become parts of Redis keys (as queue-core requires). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = { queue: 'jobs', prefix: 'hotq', concurrency: 1, leaseMs: 30_000, graceMs: 25_000, isolation: 'none' } as const;
export const LIMITS = { concurrency: 1_000, minLeaseMs: 100, maxLeaseMs: DAY_MS, maxGraceMs: DAY_MS, maxPartitions: 1_024 } as const;

export interface ResolvedOptions {
  readonly redis: Redis | Cluster | undefined;
  readonly redisUrl: string | undefined;
  readonly queue: string;
  readonly prefix: string;
  readonly partitions: number;
  readonly handlers: Handlers | undefined;
  readonly handlersModule: string | undefined;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly graceMs: number;
  readonly isolation: Isolation;
  readonly logger: Logger | undefined;
  readonly id: string;
  readonly backoff: BackoffPolicy;
}

function invalid(argument: string, expected: string, received: unknown): WorkerError {
  const shown = typeof received === 'string' ? JSON.stringify(received.slice(0, 60)) : typeof received === 'object' && received !== null ? 'an object' : String(received);
  return new WorkerError('invalid_option', `${argument} must be ${expected} (received ${shown})`);
}

export function checkInteger(argument: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(argument, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

function checkName(argument: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw invalid(argument, 'at most 128 letters, digits, ".", "_" or "-", starting with a letter or digit', value);
  }
  return value;
}

/** `<host>-<pid>-<random>`, trimmed to what a name may hold. */
function defaultId(): string {
  const host = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60) || 'worker';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Checks every option and fills in defaults; throws WorkerError naming the first bad one. */
export function resolveOptions(options: WorkerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const { redis, redisUrl } = options;
  if (redis !== undefined && (typeof redis !== 'object' || redis === null || typeof (redis as Redis).evalsha !== 'function')) {
    throw invalid('options.redis', 'an ioredis client or Cluster', redis);
  }
  if (redisUrl !== undefined && (typeof redisUrl !== 'string' || !/^rediss?:\/\//.test(redisUrl))) {
    throw invalid('options.redisUrl', 'a redis:// or rediss:// URL', typeof redisUrl === 'string' ? redisUrl.replace(/\/\/[^@/]*@/, '//***@') : redisUrl);
  }
  if ((redis === undefined) === (redisUrl === undefined)) {
    throw new WorkerError('invalid_option', 'give exactly one of options.redis (a connection) and options.redisUrl (a URL)');
  }
  const isolation = options.isolation ?? DEFAULTS.isolation;
  if (isolation !== 'none' && isolation !== 'thread') throw invalid('options.isolation', '"none" or "thread"', isolation);
  const handlers = options.handlers === undefined ? undefined : checkHandlers(options.handlers, 'options.handlers');
  if (handlers !== undefined && isolation === 'thread') {
    throw new WorkerError(
      'invalid_option',
      'options.handlers cannot be used with isolation "thread" (functions cannot be sent to a thread); put them in a module and give its path as options.handlersModule',
    );
  }
  const handlersModule = options.handlersModule;
  if (handlersModule !== undefined && (typeof handlersModule !== 'string' || handlersModule === '')) {
    throw invalid('options.handlersModule', 'a module path or file: URL', handlersModule);
  }
  const leaseMs = checkInteger('options.leaseMs', options.leaseMs ?? DEFAULTS.leaseMs, LIMITS.minLeaseMs, LIMITS.maxLeaseMs);
  const heartbeatMs = checkInteger('options.heartbeatMs', options.heartbeatMs ?? Math.floor(leaseMs / 3), 10, leaseMs - 1);
  const backoff = options.backoff ?? {};
  if (typeof backoff !== 'object' || backoff === null) throw invalid('options.backoff', 'an object { baseMs?, maxMs? }', backoff);
  const baseMs = checkInteger('options.backoff.baseMs', backoff.baseMs ?? 1_000, 0, DAY_MS);
  const maxMs = checkInteger('options.backoff.maxMs', backoff.maxMs ?? Math.max(300_000, baseMs), baseMs, 7 * DAY_MS);
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function')) {
    throw invalid('options.logger', 'a pino logger', logger);
  }
  return {
    redis,
    redisUrl,
    queue: checkName('options.queue', options.queue ?? DEFAULTS.queue),
    prefix: checkName('options.prefix', options.prefix ?? DEFAULTS.prefix),
    partitions: checkInteger('options.partitions', options.partitions ?? 1, 1, LIMITS.maxPartitions),
    handlers,
    handlersModule,
    concurrency: checkInteger('options.concurrency', options.concurrency ?? DEFAULTS.concurrency, 1, LIMITS.concurrency),
    leaseMs,
    heartbeatMs,
    graceMs: checkInteger('options.graceMs', options.graceMs ?? DEFAULTS.graceMs, 0, LIMITS.maxGraceMs),
    isolation,
    logger,
    id: checkName('options.id', options.id ?? defaultId()),
    backoff: { baseMs, maxMs },
  };
}
