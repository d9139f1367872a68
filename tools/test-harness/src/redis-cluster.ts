import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from './redis-server.js';

const SLOTS = 16_384;

/** A throwaway Redis Cluster owned by a test: masters only, on loopback ports. */
export interface RedisCluster {
  /** Its nodes, as ioredis's `new Cluster(nodes)` takes them. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** Stops every node and removes their data directories. */
  dispose(): Promise<void>;
}

/**
 * Starts `size` cluster-enabled `redis-server`s, splits the hash slots evenly among them and waits
 * until every node reports the cluster ok. Never touches a shared Redis.
 */
export async function startRedisCluster(size = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.dispose()));
  };
  try {
    for (let index = 0; index < size; index += 1) {
      // nodes.conf is written in each server's own data directory.
      servers.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] }));
    }
    await formCluster(servers.map((server) => server.port));
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })), dispose };
}

async function formCluster(ports: readonly number[]): Promise<void> {
  const clients = ports.map((port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
  try {
    const share = Math.ceil(SLOTS / ports.length);
    await Promise.all(clients.map((client, index) =>
      client.call('CLUSTER', 'ADDSLOTSRANGE', index * share, Math.min(SLOTS, (index + 1) * share) - 1)));
    await Promise.all(clients.slice(1).map((client) => client.call('CLUSTER', 'MEET', '127.0.0.1', ports[0] as number)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = (await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO')))) as string[];
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${ports.length}`))) return;
      if (Date.now() > deadline) throw new Error(`the cluster on ports ${ports.join(', ')} was not ok within 20 s`);
      await sleep(50);
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}
