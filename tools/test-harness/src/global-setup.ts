import { startRedisServer } from './redis-server.js';

interface ProvideTarget {
  provide(key: 'redisUrl', value: string): void;
}

/**
 * vitest global setup: one throwaway redis-server per test run, its URL provided to tests as
 * `inject('redisUrl')`. When `REDIS_URL` is set, that server is used instead and nothing is started.
 */
export async function setup(project: ProvideTarget): Promise<() => Promise<void>> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return async () => {};
  }
  const server = await startRedisServer();
  project.provide('redisUrl', server.url);
  return async () => {
    await server.dispose();
  };
}
