/**
 * Test harness for hotq: throwaway redis-server processes for test runs and for tests that need
 * a Redis of their own (to stop or restart it without other tests seeing the outage), a Redis Cluster
 * (with replicas when asked) or a Sentinel deployment.
 * @packageDocumentation
 */
export { freePort } from './free-port.js';
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';
export { startRedisSentinel, type RedisSentinel, type RedisSentinelOptions } from './redis-sentinel.js';
export { redisAnswers, startRedisServer, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { setup } from './global-setup.js';
export { uniqueName } from './unique-name.js';
export type { RedisUrlContext } from './provided-context.js';
export { readCommitLog, type CommitLog } from './commit-log.js';
export { startTcpLink, type TcpLink } from './tcp-link.js';
