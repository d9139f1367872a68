// The hotq-worker command line: flags win over environment variables, which win over defaults.
// Everything is checked, and the handlers module loaded, before anything touches Redis.
import { readFileSync } from 'node:fs';
import { describeRedisConnection, parseRedisConnection, type RedisConnection } from '@hotq/queue-core';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createWorker } from './worker.js';
import type { Isolation, Worker } from './worker-types.js';
import type { Handlers } from './handler-types.js';
import { loadHandlersModule } from './_handlers-module.js';
import { createLogger, LOG_LEVELS } from './_logger.js';
import { DEFAULTS, LIMITS } from './_options.js';
import { connectDeployment, maskRedisUrl } from './_redis.js';

export interface CliConfig {
  redisUrl: string;
  /** The deployment: REDIS_URL's server, or a Cluster or Sentinel master (REDIS_URL then gives credentials and TLS). */
  connection: RedisConnection;
  queue: string;
  prefix: string;
  partitions: number;
  concurrency: number;
  handlers: string | undefined;
  leaseMs: number;
  graceMs: number;
  isolation: Isolation;
  logLevel: string;
  id: string | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    }
    return number;
  };
}

function name(value: string): string {
  if (!NAME.test(value)) throw new InvalidArgumentError('expected at most 128 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  return value;
}

/** Whether `value` is a redis:// or rediss:// URL with a host. */
function isRedisUrl(value: string): boolean {
  try {
    const parsed = new URL(value);
    return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Builds the command. Parsing errors print a clear message and exit non-zero (commander's way). */
export function program(): Command {
  const command = new Command('hotq-worker');
  // Not an InvalidArgumentError: commander would repeat the value, password included.
  const redisUrl = (value: string): string => {
    if (isRedisUrl(value)) return value;
    return command.error(`error: option '--redis-url <url>' (or REDIS_URL) must be redis://host:port/db or rediss://host:port/db (received ${maskRedisUrl(value)}).`, {
      exitCode: 1,
      code: 'hotq.invalidRedisUrl',
    });
  };
  return command
    .description('Take jobs from a hotq queue and run them. Demo job types: echo, sleep, fail, wordcount, stats.')
    .version(version())
    .addOption(new Option('--redis-url <url>', 'Redis to use; with a cluster or sentinels, the user, password and TLS (and the db with sentinels)').env('REDIS_URL').default('redis://127.0.0.1:6379/0').argParser(redisUrl))
    .addOption(new Option('--redis-cluster-nodes <host:port,...>', 'seed nodes of a Redis Cluster').env('REDIS_CLUSTER_NODES'))
    .addOption(new Option('--redis-sentinels <host:port,...>', 'sentinels of a Sentinel deployment').env('REDIS_SENTINELS'))
    .addOption(new Option('--redis-sentinel-name <name>', 'the master\'s name the sentinels know (default mymaster)').env('REDIS_SENTINEL_NAME'))
    .addOption(new Option('--redis-sentinel-password <password>', 'the sentinels\' own password (their requirepass), when they have one').env('REDIS_SENTINEL_PASSWORD'))
    .addOption(new Option('--queue <name>', 'queue name').env('HOTQ_QUEUE').default(DEFAULTS.queue).argParser(name))
    .addOption(new Option('--prefix <prefix>', 'key prefix').env('HOTQ_PREFIX').default(DEFAULTS.prefix).argParser(name))
    .addOption(new Option('--partitions <n>', 'partitions of the queue, as its API has them (fixed once the queue is used)')
      .env('HOTQ_PARTITIONS').default(1).argParser(integer(1, LIMITS.maxPartitions)))
    .addOption(
      new Option('--concurrency <n>', `jobs run at once (1-${LIMITS.concurrency})`)
        .env('HOTQ_CONCURRENCY')
        .default(DEFAULTS.concurrency)
        .argParser(integer(1, LIMITS.concurrency)),
    )
    .addOption(new Option('--handlers <path>', 'module whose default export maps job types to handlers (added to the demo types)').env('HOTQ_HANDLERS'))
    .addOption(
      new Option('--lease-ms <ms>', 'lease length; renewed every third of it while a job runs')
        .env('HOTQ_LEASE_MS')
        .default(DEFAULTS.leaseMs)
        .argParser(integer(LIMITS.minLeaseMs, LIMITS.maxLeaseMs)),
    )
    .addOption(
      new Option('--grace-ms <ms>', 'on SIGINT/SIGTERM, how long running jobs may finish before they are handed back')
        .env('HOTQ_GRACE_MS')
        .default(DEFAULTS.graceMs)
        .argParser(integer(0, LIMITS.maxGraceMs)),
    )
    .addOption(new Option('--isolation <mode>', 'where handlers run: none (main thread) or thread (worker_threads)').env('HOTQ_ISOLATION').choices(['none', 'thread']).default(DEFAULTS.isolation))
    .addOption(new Option('--log-level <level>', 'log level').env('HOTQ_LOG_LEVEL').choices([...LOG_LEVELS]).default('info'))
    .addOption(new Option('--id <id>', 'worker id (default <host>-<pid>-<random>)').env('HOTQ_WORKER_ID').argParser(name))
    .showHelpAfterError('(run hotq-worker --help for usage)')
    .allowExcessArguments(false);
}

/** Parses argv; exits with a message on bad input. */
export function parse(argv: readonly string[]): CliConfig {
  const command = program();
  command.parse([...argv]);
  const { redisClusterNodes, redisSentinels, redisSentinelName, redisSentinelPassword, ...options } = command.opts<Omit<CliConfig, 'handlers' | 'connection'> & {
    handlers?: string; redisClusterNodes?: string; redisSentinels?: string; redisSentinelName?: string; redisSentinelPassword?: string;
  }>();
  if (options.handlers === '') command.error('error: option \'--handlers <path>\' needs a path.', { exitCode: 1 });
  let connection: RedisConnection;
  try {
    connection = parseRedisConnection({
      url: options.redisUrl, clusterNodes: redisClusterNodes, sentinels: redisSentinels, sentinelName: redisSentinelName, sentinelPassword: redisSentinelPassword,
    });
  } catch (error) {
    // A deployment that cannot be: a usage error, exit 2 (the message names the variable and the flag).
    return command.error(`error: ${(error as Error).message}`, { exitCode: 2, code: 'hotq.invalidRedisDeployment' });
  }
  return { ...options, connection, handlers: options.handlers, id: options.id };
}

/** Runs the command: parse, load handlers, start, and stop on SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<void> {
  const config = parse(argv);
  let handlers: Handlers | undefined;
  if (config.handlers !== undefined) {
    try {
      // Loaded here even for isolation "thread" (where each thread loads it again): a module that
      // cannot be loaded is reported now, before Redis is touched.
      handlers = await loadHandlersModule(config.handlers);
    } catch (error) {
      process.stderr.write(`hotq-worker: ${(error as Error).message}\n`);
      process.exit(1);
    }
  }
  const logger = createLogger(config.logLevel, 1);
  // One server: the worker opens its connection from the URL. A Cluster or a Sentinel master: the
  // command opens it with the worker's connection settings, and the process's exit closes it.
  let deployment: Redis | Cluster | undefined;
  if (config.connection.kind !== 'standalone') {
    deployment = connectDeployment(config.connection, `hotq-worker:${config.id ?? 'cli'}`);
    deployment.on('error', (error: Error) => logger.debug({ err: { message: error.message } }, 'Redis connection error'));
  }
  let worker: Worker;
  try {
    worker = createWorker({
      ...(deployment === undefined ? { redisUrl: config.redisUrl } : { redis: deployment }),
      queue: config.queue,
      prefix: config.prefix,
      partitions: config.partitions,
      concurrency: config.concurrency,
      leaseMs: config.leaseMs,
      graceMs: config.graceMs,
      isolation: config.isolation,
      logger,
      ...(config.id === undefined ? {} : { id: config.id }),
      ...(config.isolation === 'thread' ? (config.handlers === undefined ? {} : { handlersModule: config.handlers }) : { handlers }),
    });
  } catch (error) {
    process.stderr.write(`hotq-worker: ${(error as Error).message}\n`);
    process.exit(1);
  }
  handleSignals(worker, logger);
  logger.info({ redis: config.connection.kind === 'standalone' ? maskRedisUrl(config.redisUrl) : describeRedisConnection(config.connection), queue: config.queue, prefix: config.prefix, partitions: config.partitions }, 'connecting');
  try {
    await worker.start();
  } catch (error) {
    logger.fatal({ err: { message: (error as Error).message } }, 'the worker could not start');
    process.stderr.write(`hotq-worker: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

function handleSignals(worker: Worker, logger: Logger): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Second signal: leave now. Leases of running jobs run out and the queue hands them out again.
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    logger.info({ signal }, 'stopping: no new jobs; running jobs may finish within the grace time (signal again to exit at once)');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: { message: (error as Error).message } }, 'stopping failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
