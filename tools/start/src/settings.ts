import type { RedisChoice } from './find-redis.js';

/** What `npm start` runs with, each value with where it came from. */
export interface Settings {
  redisUrl: string;
  origin: RedisChoice['origin'];
  /** A Cluster's seed nodes or a Sentinel deployment, as printed. */
  deployment?: string;
  prefix: string;
  queue: string;
  port: string;
}

/** The settings for this environment: REDIS_URL's choice, then HOTQ_PREFIX, HOTQ_QUEUE and PORT or their defaults. */
export function settingsFrom(env: NodeJS.ProcessEnv, redis: Pick<RedisChoice, 'url' | 'origin' | 'deployment'>): Settings {
  return {
    redisUrl: redis.url,
    origin: redis.origin,
    ...(redis.deployment === undefined ? {} : { deployment: redis.deployment }),
    prefix: env.HOTQ_PREFIX || 'hotq',
    queue: env.HOTQ_QUEUE || 'jobs',
    port: env.PORT || '3000',
  };
}

/** A URL with its password replaced by `***`, fit to print. */
export function masked(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

const WHERE: Record<RedisChoice['origin'], string> = {
  REDIS_URL: 'from REDIS_URL',
  local: 'already running on 127.0.0.1:6379, shared with whatever else uses it',
  private: 'started privately, data in .hotq/redis',
  REDIS_CLUSTER_NODES: 'from REDIS_CLUSTER_NODES; REDIS_URL gives only the credentials and TLS',
  REDIS_SENTINELS: 'from REDIS_SENTINELS and REDIS_SENTINEL_NAME; REDIS_URL gives the credentials, TLS and db',
};

/**
 * The lines `npm start` prints first, so nobody wonders which Redis and which keys they are
 * looking at: a Redis found on 6379 may hold other people's jobs, which would show in /stats.
 */
export function describeSettings(settings: Settings): string[] {
  const lines = [
    'hotq start: using',
    `  redis   ${settings.deployment ?? masked(settings.redisUrl)}  (${WHERE[settings.origin]})`,
    `  prefix  ${settings.prefix}  (HOTQ_PREFIX)    queue  ${settings.queue}  (HOTQ_QUEUE)    port  ${settings.port}  (PORT)`,
  ];
  if (settings.origin === 'local') {
    lines.push('  jobs already there under this prefix and queue show up too; for a Redis or keys of your own, e.g.:');
    lines.push('    REDIS_URL=redis://127.0.0.1:6379/1 npm start      or      HOTQ_PREFIX=mine npm start');
  }
  return lines;
}
