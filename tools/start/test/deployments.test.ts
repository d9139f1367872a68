// npm start on a Redis Cluster and on a Sentinel deployment: the variables reach the API and the
// worker as they are, nothing private is started, and a deployment that cannot be is refused.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisCluster, startRedisSentinel, uniqueName } from '@hotq/test-harness';
import { describe, expect, it } from 'vitest';
import { findRedis } from '../src/find-redis.js';
import { resultOf, startStack, submit } from './_stack.js';

const startScript = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/start.js');

/** This process's environment without any Redis or hotq setting, plus `extra`. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('REDIS_') && !key.startsWith('HOTQ_')) env[key] = value;
  return { ...env, PORT: '0', HOTQ_PREFIX: uniqueName('start'), ...extra };
}

describe('npm start on a deployment of several Redis servers', () => {
  it.each(['cluster', 'sentinel'] as const)('runs a demo job on a %s, and says where Redis came from', async (kind) => {
    const deployment = kind === 'cluster' ? await startRedisCluster(3) : await startRedisSentinel({ replicas: 1 });
    const variables: Record<string, string> = 'sentinelList' in deployment
      ? { REDIS_SENTINELS: deployment.sentinelList, REDIS_SENTINEL_NAME: deployment.name }
      : { REDIS_CLUSTER_NODES: deployment.nodes.map((node) => `${node.host}:${node.port}`).join(',') };
    try {
      const stack = await startStack(process.execPath, [startScript], { env: environment(variables), timeoutMs: 60_000 });
      try {
        expect(stack.output[1]).toMatch(kind === 'cluster' ? /redis {3}cluster 127\.0\.0\.1:\d+.*\(from REDIS_CLUSTER_NODES/ : /redis {3}sentinel master mymaster via .*\(from REDIS_SENTINELS/);
        const id = await submit(stack.base, { type: 'wordcount', params: { text: 'a b a' } });
        expect(await resultOf(stack.base, id)).toMatchObject({ words: 3, unique: 2 });
      } finally {
        expect(await stack.stop()).toBe(0);
      }
    } finally {
      await deployment.dispose();
    }
  }, 90_000);

  it('refuses both a cluster and sentinels with exit code 2, naming the variables', async () => {
    await expect(findRedis('/nonexistent', { REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' })).rejects.toThrow(/REDIS_CLUSTER_NODES .* and REDIS_SENTINELS .* must be not both set/);
    const run = spawnSync(process.execPath, [startScript], { env: environment({ REDIS_CLUSTER_NODES: 'a:1', REDIS_SENTINELS: 'b:2' }), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/hotq start: REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) and REDIS_SENTINELS/);
  });
});
