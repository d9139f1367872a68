/**
 * Test harness for hotq: throwaway redis-server processes for test runs and for tests that need
 * a Redis of their own (to stop or restart it without other tests seeing the outage), or a Redis Cluster.
 * @packageDocumentation
 */
export { freePort } from './free-port.js';
export { startRedisCluster, type RedisCluster } from './redis-cluster.js';
export { redisAnswers, startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { setup } from './global-setup.js';
export { uniqueName } from './unique-name.js';
export type { RedisUrlContext } from './provided-context.js';
