import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeRedisConnection, redisConnectionFromEnv } from '@hotq/queue-core';
import { redisAnswers, startRedisServer, type RedisServer } from '@hotq/test-harness';

/** Where the system's Redis comes from, and how to stop it if we started it. */
export interface RedisChoice {
  url: string;
  origin: 'REDIS_URL' | 'local' | 'private' | 'REDIS_CLUSTER_NODES' | 'REDIS_SENTINELS';
  /** For a Cluster or a Sentinel deployment: the seed nodes or sentinels, fit to print. */
  deployment?: string;
  server?: RedisServer;
}

/** Thrown when no Redis can be had; its message says how to get one. */
export class NoRedisError extends Error {}

const HOW_TO_GET_REDIS = [
  'hotq needs Redis, and none could be found or started:',
  '  - nothing answers on 127.0.0.1:6379, and REDIS_URL is not set;',
  '  - redis-server is not on PATH, so a private one cannot be started.',
  'Get one of these, then run npm start again:',
  '  Debian/Ubuntu:  sudo apt-get install redis-server',
  '  macOS:          brew install redis',
  '  Docker:         docker compose up redis   (then REDIS_URL=redis://127.0.0.1:6379/0 npm start)',
  'or point REDIS_URL at a Redis you already have.',
].join('\n');

/**
 * A Redis Cluster (REDIS_CLUSTER_NODES) or Sentinel deployment (REDIS_SENTINELS) when one is set,
 * passed on to the API and the worker as it is (a bad combination throws, naming the variable);
 * else REDIS_URL when set; else a Redis answering on 127.0.0.1:6379; else a private redis-server
 * with its data under `<root>/.hotq/redis` (append-only file on), stopped when the system stops.
 */
export async function findRedis(root: string, env: NodeJS.ProcessEnv = process.env, localPort = 6379): Promise<RedisChoice> {
  const connection = redisConnectionFromEnv(env);
  if (connection.kind !== 'standalone') {
    return { url: connection.url, origin: connection.kind === 'cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS', deployment: describeRedisConnection(connection) };
  }
  if (env.REDIS_URL) return { url: env.REDIS_URL, origin: 'REDIS_URL' };
  if (await redisAnswers(localPort)) return { url: `redis://127.0.0.1:${localPort}/0`, origin: 'local' };
  const dir = join(root, '.hotq', 'redis');
  mkdirSync(dir, { recursive: true });
  try {
    const server = await startRedisServer({ dir, appendonly: true });
    return { url: server.url, origin: 'private', server };
  } catch (error) {
    if (/redis-server/.test((error as Error).message)) throw new NoRedisError(HOW_TO_GET_REDIS);
    throw error;
  }
}
