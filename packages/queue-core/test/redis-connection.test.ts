// The Redis settings of hotq's commands: one parser for REDIS_URL, REDIS_CLUSTER_NODES,
// REDIS_SENTINELS and REDIS_SENTINEL_NAME, and clients that really reach each kind of deployment.
import type { Cluster, Redis } from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisCluster, startRedisSentinel, startRedisServer, uniqueName, type RedisCluster, type RedisSentinel } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis, describeRedisConnection, InvalidArgumentError, parseRedisConnection, redisConnectionFromEnv, TaskQueue } from '../src/index.js';

describe('parseRedisConnection', () => {
  it('reads one server from REDIS_URL, with the default when unset or empty', () => {
    expect(parseRedisConnection({})).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379/0' });
    expect(parseRedisConnection({ url: '', clusterNodes: '', sentinels: '' })).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379/0' });
    expect(redisConnectionFromEnv({ REDIS_URL: 'rediss://u:p@h:1/2' })).toEqual({ kind: 'standalone', url: 'rediss://u:p@h:1/2' });
  });

  it('reads cluster seed nodes, IPv6 in brackets, with REDIS_URL for credentials', () => {
    expect(redisConnectionFromEnv({ REDIS_CLUSTER_NODES: 'a:7000, b.example:7001,[::1]:7002', REDIS_URL: 'rediss://u:secret@x:1' })).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'a', port: 7000 }, { host: 'b.example', port: 7001 }, { host: '::1', port: 7002 }],
      url: 'rediss://u:secret@x:1',
    });
  });

  it('reads sentinels and the master name, mymaster by default', () => {
    expect(redisConnectionFromEnv({ REDIS_SENTINELS: 's1:26379,s2:26379' })).toEqual({
      kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], name: 'mymaster', url: 'redis://127.0.0.1:6379/0',
    });
    expect(redisConnectionFromEnv({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'jobs-master' })).toMatchObject({ name: 'jobs-master' });
  });

  it.each([
    [{ clusterNodes: 'a:1', sentinels: 'b:2' }, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) and REDIS_SENTINELS \(--redis-sentinels\) must be not both set/],
    [{ clusterNodes: 'a' }, /REDIS_CLUSTER_NODES \(--redis-cluster-nodes\) must be a comma-separated list of host:port .* \(received "a"\)/],
    [{ clusterNodes: 'a:1,,b:2' }, /REDIS_CLUSTER_NODES .* \(received "an empty item"\)/],
    [{ sentinels: 'a:0' }, /REDIS_SENTINELS \(--redis-sentinels\) must be .*port 1 to 65535.* \(received "a:0"\)/],
    [{ sentinels: 'a:65536' }, /REDIS_SENTINELS/],
    [{ sentinels: 'host:port' }, /REDIS_SENTINELS/],
    [{ sentinelName: 'other' }, /REDIS_SENTINEL_NAME \(--redis-sentinel-name\) must be set only with REDIS_SENTINELS/],
    [{ sentinels: 'a:1', sentinelName: 'a b' }, /REDIS_SENTINEL_NAME .* must be at most 128 letters/],
    [{ url: 'http://x:1' }, /REDIS_URL \(--redis-url\) must be redis:\/\/host:port\/db or rediss:\/\/host:port\/db/],
    [{ url: 'redis://u:hunter2@x:1/zero' }, /must be a URL whose path is a database number.*u:\*\*\*@/],
    [{ url: 'redis://x:1/3', clusterNodes: 'a:1' }, /REDIS_URL \(--redis-url\) must be database 0 or none with a Redis Cluster/],
  ])('refuses %j, naming the variable and its flag', (input, message) => {
    let thrown: unknown;
    try {
      parseRedisConnection(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toMatch(/hunter2/);
  });

  it('reads the sentinels\' own password, only with sentinels, and never shows it', () => {
    expect(redisConnectionFromEnv({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_PASSWORD: 'hunter2' })).toMatchObject({ kind: 'sentinel', sentinelPassword: 'hunter2' });
    expect(() => parseRedisConnection({ sentinelPassword: 'hunter2' })).toThrow(/REDIS_SENTINEL_PASSWORD \(--redis-sentinel-password\) must be set only with REDIS_SENTINELS.*\(hidden\)/);
    expect(() => parseRedisConnection({ sentinelPassword: 'hunter2' })).not.toThrow(/hunter2/);
    expect(describeRedisConnection(parseRedisConnection({ sentinels: 'a:1', sentinelPassword: 'hunter2' }))).not.toMatch(/hunter2/);
  });

  it('describes a connection without its password', () => {
    expect(describeRedisConnection(parseRedisConnection({ url: 'redis://u:hunter2@h:1/0' }))).toBe('redis://u:***@h:1/0');
    expect(describeRedisConnection(parseRedisConnection({ clusterNodes: 'a:1,[::1]:2' }))).toBe('cluster a:1,[::1]:2');
    expect(describeRedisConnection(parseRedisConnection({ sentinels: 'a:1' }))).toBe('sentinel master mymaster via a:1');
  });
});

/** A put and a reserve through `client`: the deployment really is reached. */
async function roundTrip(client: Redis | Cluster): Promise<void> {
  const queue = new TaskQueue<string>({ redis: client, name: uniqueName('conn') });
  try {
    await queue.put('hello');
    const { messages } = await queue.reserve();
    expect(messages.map((m) => m.payload)).toEqual(['hello']);
    expect(await queue.ack(messages[0]!)).toBe(true);
  } finally {
    await queue.close();
  }
}

describe('connectRedis', () => {
  let cluster: RedisCluster;
  let sentinel: RedisSentinel;
  beforeAll(async () => {
    [cluster, sentinel] = await Promise.all([startRedisCluster(3), startRedisSentinel({ replicas: 1 })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([cluster?.dispose(), sentinel?.dispose()]);
  });

  it('reaches one server from its URL', async () => {
    const client = connectRedis(parseRedisConnection({ url: inject('redisUrl') }));
    try {
      expect(client.isCluster).toBe(false);
      await roundTrip(client);
    } finally {
      client.disconnect();
    }
  });

  it('reaches a Redis Cluster from its seed nodes, the client options applied to the cluster', async () => {
    const seeds = cluster.nodes.slice(0, 1).map((node) => `${node.host}:${node.port}`).join(',');
    const client = connectRedis(parseRedisConnection({ clusterNodes: seeds }), { enableAutoPipelining: true, connectionName: 'conn-test' });
    try {
      expect(client.isCluster).toBe(true);
      expect((client as Cluster).options.enableAutoPipelining).toBe(true);
      await roundTrip(client);
      expect(await (client as Cluster).nodes('master')[0]!.client('GETNAME')).toBe('conn-test');
    } finally {
      client.disconnect();
    }
  });

  it('reaches the master of a Sentinel deployment through the sentinels', async () => {
    const client = connectRedis(parseRedisConnection({ sentinels: sentinel.sentinelList, sentinelName: sentinel.name }), { maxRetriesPerRequest: 1 });
    try {
      await roundTrip(client);
      expect(await (client as Redis).info('replication')).toMatch(/role:master/);
      expect(await (client as Redis).config('GET', 'port')).toEqual(['port', String(sentinel.master.port)]);
    } finally {
      client.disconnect();
    }
  });
});

describe('connectRedis, sentinels with a password of their own', () => {
  it('asks the sentinels with REDIS_SENTINEL_PASSWORD, and fails without it', async () => {
    const master = await startRedisServer();
    const dir = mkdtempSync(join(tmpdir(), 'hotq-sentinel-auth-'));
    const configFile = join(dir, 'sentinel.conf');
    writeFileSync(configFile, `sentinel monitor authed 127.0.0.1 ${master.port} 1\nrequirepass s3ntinel\n`);
    const sentinel = await startRedisServer({ port: await freePort(), dir, configFile, args: ['--sentinel'] });
    const sentinels = `127.0.0.1:${sentinel.port}`;
    try {
      const client = connectRedis(parseRedisConnection({ sentinels, sentinelName: 'authed', sentinelPassword: 's3ntinel' }), { maxRetriesPerRequest: 1 });
      try {
        await roundTrip(client);
        expect(await (client as Redis).config('GET', 'port')).toEqual(['port', String(master.port)]);
      } finally {
        client.disconnect();
      }
      const refused = connectRedis(parseRedisConnection({ sentinels, sentinelName: 'authed' }), { maxRetriesPerRequest: 1, lazyConnect: true, sentinelRetryStrategy: () => null });
      refused.on('error', () => {});
      try {
        await expect((refused as Redis).connect()).rejects.toThrow();
      } finally {
        refused.disconnect();
      }
    } finally {
      await sentinel.dispose();
      await master.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
