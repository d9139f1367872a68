#!/usr/bin/env node
// hotq-api: serves createApp() over HTTP. Flags win over the environment, which wins over defaults.
import { createServer } from 'node:http';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { createApp } from './create-app.js';
import { VERSION } from './internal/version.js';

interface Flags {
  port: number;
  host: string;
  redisUrl: string;
  queue: string;
  prefix: string;
  logLevel: string;
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
async function checkEvictionPolicy(redis: Redis, logger: Logger): Promise<void> {
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
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
    .addOption(new Option('--redis-url <url>', 'Redis to use: redis://host:port/db (rediss:// for TLS)').env('REDIS_URL').default('redis://127.0.0.1:6379/0'))
    .addOption(new Option('--queue <name>', 'queue name').env('HOTQ_QUEUE').default('jobs'))
    .addOption(new Option('--prefix <prefix>', 'key prefix').env('HOTQ_PREFIX').default('hotq'))
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').env('HOTQ_LOG_LEVEL').default('info')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .showHelpAfterError();
  program.parse();
  const flags = program.opts<Flags>();

  const apiToken = env('HOTQ_API_TOKEN');
  const readToken = env('HOTQ_API_READ_TOKEN');
  if (readToken !== undefined && apiToken === undefined) {
    process.stderr.write('hotq-api: HOTQ_API_READ_TOKEN is set but HOTQ_API_TOKEN is not; refusing to start with writes open to anyone. Set HOTQ_API_TOKEN too (or unset HOTQ_API_READ_TOKEN).\n');
    process.exit(2);
  }

  // Logs go to stderr, so that stdout carries exactly one line: where we listen.
  const logger = pino({ level: flags.logLevel, base: { service: 'hotq-api' }, redact: ['req.headers.authorization', 'authorization'] }, pino.destination(2));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection (kept running)'));
  process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception (kept running)'));

  const redis = new Redis(flags.redisUrl, {
    // While Redis is down, a command fails at once (503) instead of waiting to be sent later.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 2_000),
    connectionName: 'hotq-api',
  });
  let redisUp = false;
  let loggedDown = false;
  redis.on('ready', () => {
    redisUp = true;
    logger.info('redis connected');
    void checkEvictionPolicy(redis, logger);
  });
  redis.on('error', (error: Error) => {
    // ioredis reports every failed reconnect; say it once per outage.
    if (redisUp || !loggedDown) logger.warn({ err: { message: error.message } }, 'redis unavailable; reconnecting');
    redisUp = false;
    loggedDown = true;
  });

  let app;
  try {
    app = createApp({ redis, prefix: flags.prefix, queue: flags.queue, apiToken, readToken, logger });
  } catch (error) {
    process.stderr.write(`hotq-api: ${(error as Error).message}\n`);
    redis.disconnect();
    process.exit(2);
  }
  const server = createServer(app);
  server.on('error', (error) => {
    logger.fatal({ err: error }, 'cannot listen');
    process.stderr.write(`hotq-api: cannot listen on ${flags.host}:${flags.port}: ${error.message}\n`);
    redis.disconnect();
    process.exit(1);
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
      process.exit(0);
    })();
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

await main();
