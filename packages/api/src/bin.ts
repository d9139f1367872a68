#!/usr/bin/env node
// hotq-api: serves createApp() over HTTP. Flags win over the environment, which wins over defaults.
import { createServer } from 'node:http';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  connectRedis, describeRedisConnection, LayoutMismatchError, MAX_PARTITIONS, parseRedisConnection, PartitionMismatchError, TaskQueue, type RedisConnection,
} from '@hotq/queue-core';
import type { Cluster, Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createApp } from './create-app.js';
import { batchedLog } from './internal/log-batch.js';
import { VERSION } from './internal/version.js';

interface Flags {
  port: number;
  host: string;
  redisUrl: string;
  queue: string;
  prefix: string;
  logLevel: string;
  maxQueued?: number;
  redisClusterNodes?: string;
  redisSentinels?: string;
  redisSentinelName?: string;
  redisSentinelPassword?: string;
  waitReplicas?: string;
  waitReplicasTimeoutMs?: string;
  partitions?: string;
}

/** A whole number from `min` to `max`, or null. */
function wholeNumber(value: string, min: number, max: number): number | null {
  return /^[0-9]{1,9}$/.test(value.trim()) && Number(value) >= min && Number(value) <= max ? Number(value) : null;
}

/**
 * The Redis deployment and the durability option, checked together after parsing (a bad
 * combination is a usage error: exit 2, with a message naming the variable and the flag).
 */
function redisSettings(flags: Flags): { connection: RedisConnection; waitReplicas: number; waitReplicasTimeoutMs: number; partitions: number } {
  const connection = parseRedisConnection({
    url: flags.redisUrl, clusterNodes: flags.redisClusterNodes, sentinels: flags.redisSentinels, sentinelName: flags.redisSentinelName,
    sentinelPassword: flags.redisSentinelPassword,
  });
  const waitReplicas = flags.waitReplicas === undefined ? 0 : wholeNumber(flags.waitReplicas, 0, 100);
  if (waitReplicas === null) throw new Error(`HOTQ_WAIT_REPLICAS (--wait-replicas) must be a whole number of replicas from 0 to 100 (received ${JSON.stringify(flags.waitReplicas)})`);
  const timeout = flags.waitReplicasTimeoutMs === undefined ? 1_000 : wholeNumber(flags.waitReplicasTimeoutMs, 1, 4_999);
  if (timeout === null) {
    throw new Error(`HOTQ_WAIT_REPLICAS_TIMEOUT_MS (--wait-replicas-timeout-ms) must be a whole number of ms from 1 to 4999 (received ${JSON.stringify(flags.waitReplicasTimeoutMs)})`);
  }
  const partitions = flags.partitions === undefined ? 1 : wholeNumber(flags.partitions, 1, MAX_PARTITIONS);
  if (partitions === null) {
    throw new Error(`HOTQ_PARTITIONS (--partitions) must be a whole number of partitions from 1 to ${MAX_PARTITIONS} (received ${JSON.stringify(flags.partitions)})`);
  }
  return { connection, waitReplicas, waitReplicasTimeoutMs: timeout, partitions };
}

function parseMaxQueued(value: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 1_000_000_000) {
    throw new InvalidArgumentError('must be a whole number of jobs from 1 to 1000000000');
  }
  return Number(value);
}

function parsePort(value: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('must be a port number from 0 to 65535 (0: any free port)');
  return Number(value);
}

/** An environment variable, with an empty value counting as unset. */
function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Warns, loudly, when Redis may evict keys: then no queue can promise anything. */
async function checkEvictionPolicy(redis: Redis | Cluster, logger: Logger): Promise<void> {
  try {
    // On a cluster, CONFIG goes to one node; every node should be set alike.
    const reply = (await redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    const policy = reply[1];
    if (policy !== 'noeviction') {
      logger.warn(
        { maxmemoryPolicy: policy },
        `Redis maxmemory-policy is ${policy ?? 'unknown'}, not noeviction: under memory pressure Redis may DELETE queued jobs and their records. Set maxmemory-policy noeviction.`,
      );
    }
  } catch (error) {
    logger.warn({ err: { message: (error as Error).message } }, 'could not read Redis maxmemory-policy (CONFIG GET refused?); make sure it is noeviction');
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .name('hotq-api')
    .description('Serve the hotq jobs HTTP API. Tokens come from the environment only: HOTQ_API_TOKEN (full access) and HOTQ_API_READ_TOKEN (GET routes only; needs HOTQ_API_TOKEN).')
    .version(VERSION)
    .addOption(new Option('--port <port>', 'port to listen on; 0 picks a free one').env('PORT').default(3000).argParser(parsePort))
    .addOption(new Option('--host <host>', 'address to listen on').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--redis-url <url>', 'Redis to use: redis://host:port/db (rediss:// for TLS); with a cluster or sentinels, the user, password and TLS (and the db with sentinels)').env('REDIS_URL').default('redis://127.0.0.1:6379/0'))
    .addOption(new Option('--redis-cluster-nodes <host:port,...>', 'seed nodes of a Redis Cluster').env('REDIS_CLUSTER_NODES'))
    .addOption(new Option('--redis-sentinels <host:port,...>', 'sentinels of a Sentinel deployment').env('REDIS_SENTINELS'))
    .addOption(new Option('--redis-sentinel-name <name>', 'the master\'s name the sentinels know (default mymaster)').env('REDIS_SENTINEL_NAME'))
    .addOption(new Option('--redis-sentinel-password <password>', 'the sentinels\' own password (their requirepass), when they have one').env('REDIS_SENTINEL_PASSWORD'))
    .addOption(new Option('--wait-replicas <n>', 'acknowledge a submission only once n replicas have it (else 503 not_replicated)').env('HOTQ_WAIT_REPLICAS'))
    .addOption(new Option('--wait-replicas-timeout-ms <ms>', 'how long a submission waits for its replicas (default 1000)').env('HOTQ_WAIT_REPLICAS_TIMEOUT_MS'))
    .addOption(new Option('--queue <name>', 'queue name').env('HOTQ_QUEUE').default('jobs'))
    .addOption(new Option('--partitions <n>', 'partitions of the queue, as its workers have them (default 1; fixed once the queue is used)').env('HOTQ_PARTITIONS'))
    .addOption(new Option('--max-queued <jobs>', 'refuse submissions (429) while this many jobs wait').env('HOTQ_MAX_QUEUED').argParser(parseMaxQueued))
    .addOption(new Option('--prefix <prefix>', 'key prefix').env('HOTQ_PREFIX').default('hotq'))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').env('HOTQ_LOG_LEVEL').default('info')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError();
  program.parse();
  const flags = program.opts<Flags>();
  let settings: ReturnType<typeof redisSettings>;
  try {
    settings = redisSettings(flags);
  } catch (error) {
    process.stderr.write(`hotq-api: ${(error as Error).message}\n`);
    process.exit(2);
  }

  const apiToken = env('HOTQ_API_TOKEN');
  const readToken = env('HOTQ_API_READ_TOKEN');
  if (readToken !== undefined && apiToken === undefined) {
    process.stderr.write('hotq-api: HOTQ_API_READ_TOKEN is set but HOTQ_API_TOKEN is not; refusing to start with writes open to anyone. Set HOTQ_API_TOKEN too (or unset HOTQ_API_READ_TOKEN).\n');
    process.exit(2);
  }

  // Logs go to stderr, so that stdout carries exactly one line: where we listen.
  // Asynchronous, batched writes: a request does not wait for a write(2) of its log line, and lines
  // go out 8 KB at a time, or 250 ms after the first when fewer come (each asynchronous write is
  // handed to a thread of libuv's pool: one per line was a tenth of hotq-api's CPU under load;
  // decision 0014). Every exit below flushes first.
  const logDestination = batchedLog(pino.destination({ dest: 2, sync: false }));
  // Request lines carry no headers (they are built from a handful of fields), so no `req.headers`
  // path is redacted: pino would copy and search every request line for it. A top-level
  // `authorization` field is still censored, should any line ever carry one.
  const logger = pino({ level: flags.logLevel, base: { service: 'hotq-api' }, redact: ['authorization'] }, logDestination);
  const exit: (code: number) => never = (code) => {
    try {
      logDestination.flushSync();
    } catch {
      // Nothing buffered, or stderr is gone: nothing more to do.
    }
    process.exit(code);
  };
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception (kept running)'));

  const redis = connectRedis(settings.connection, {
    // While Redis is down, a command fails at once (503) instead of waiting to be sent later.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    connectionName: 'hotq-api',
    // Each command leaves as it is issued, not in ioredis's automatic pipeline: that one sends the
    // commands of a turn of the event loop together, but holds every later one back while a
    // pipeline is in flight, so under load all requests ended up in one batch that Redis worked
    // through while the API had nothing to do, then the other way round. Written at once, Redis
    // works on the first submissions while the API reads the next: 10-15% more submissions per
    // second at the same CPU per request (decision 0014). It also keeps the API clear of what
    // automatic pipelines do on a cluster after a master restarts and across a Sentinel failover
    // (decisions 0021 and 0018).
    enableAutoPipelining: false,
  });
  let redisUp = false;
  let loggedDown = false;
  redis.on('ready', () => {
    redisUp = true;
    logger.info({ redis: describeRedisConnection(settings.connection) }, 'redis connected');
    void checkEvictionPolicy(redis, logger);
    void refuseOtherLayout(redis, flags.prefix, flags.queue, settings.partitions);
  });
  redis.on('error', (error: Error) => {
    // ioredis reports every failed reconnect; say it once per outage.
    if (redisUp || !loggedDown) logger.warn({ err: { message: error.message } }, 'redis unavailable; reconnecting');
    redisUp = false;
    loggedDown = true;
  });

  // Keys written by another version of hotq, or a queue of another partition count, are never
  // served as this one's: say so and stop.
  async function refuseOtherLayout(client: Redis | Cluster, prefix: string, queue: string, partitions: number): Promise<void> {
    const tasks = new TaskQueue({ redis: client, prefix, name: queue, partitions });
    try {
      await tasks.checkLayout();
    } catch (error) {
      if (!(error instanceof LayoutMismatchError) && !(error instanceof PartitionMismatchError)) return;
      logger.fatal({ err: { message: error.message } }, error instanceof PartitionMismatchError ? 'another partition count' : 'keys of another layout');
      process.stderr.write(`hotq-api: ${error.message}\n`);
      client.disconnect();
      exit(2);
    }
  }

  let app;
  try {
    app = createApp({
      redis, prefix: flags.prefix, queue: flags.queue, partitions: settings.partitions, apiToken, readToken, logger,
      ...(flags.maxQueued === undefined ? {} : { maxQueued: flags.maxQueued }),
      ...(settings.waitReplicas === 0 ? {} : { waitReplicas: settings.waitReplicas, waitReplicasTimeoutMs: settings.waitReplicasTimeoutMs }),
    });
  } catch (error) {
    process.stderr.write(`hotq-api: ${(error as Error).message}\n`);
    redis.disconnect();
    exit(2);
  }
  const server = createServer(app);
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.stderr.write(`hotq-api: cannot listen on ${flags.host}:${flags.port}: ${error.message}\n`);
    redis.disconnect();
    exit(1);
  });
  server.listen(flags.port, flags.host, () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : flags.port;
    process.stdout.write(`listening on http://${urlHost(flags.host)}:${port}\n`);
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal: stop waiting for open requests.
      server.closeAllConnections();
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    void (async () => {
      await app.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 10_000);
      force.unref();
      await closed;
      await redis.quit().catch(() => redis.disconnect());
      logger.info('stopped');
      exit(0);
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await main();
