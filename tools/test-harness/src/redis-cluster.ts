import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer, type RedisServer } from './redis-server.js';

const SLOTS = 16_384;

/** Options of {@link startRedisCluster}. */
export interface RedisClusterOptions {
  /** Replicas of each master. Default 0. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a silent node takes to be called failing. Default Redis's (15 000 ms). */
  nodeTimeoutMs?: number;
  /** Extra arguments of every node, e.g. `['--appendonly', 'yes']`. */
  args?: string[];
}

/** A throwaway Redis Cluster owned by a test, on loopback ports. */
export interface RedisCluster {
  /** Its masters, as ioredis's `new Cluster(nodes)` takes them. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** Every node's server, masters first (in slot order), then the replicas (replica i of master j at `masters + j * replicasPerMaster + i`). */
  readonly servers: readonly RedisServer[];
  /** Stops every node and removes their data directories. */
  dispose(): Promise<void>;
}

/**
 * Starts `size` cluster-enabled `redis-server` masters, splits the hash slots evenly among them,
 * gives each `options.replicasPerMaster` replicas, and waits until every node reports the cluster
 * ok and every replica is in sync with its master. Never touches a shared Redis.
 */
export async function startRedisCluster(size = 3, options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const replicasPerMaster = options.replicasPerMaster ?? 0;
  const servers: RedisServer[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.dispose()));
  };
  const args = [
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
    ...(options.nodeTimeoutMs === undefined ? [] : ['--cluster-node-timeout', String(options.nodeTimeoutMs)]),
    ...(options.args ?? []),
  ];
  try {
    for (let index = 0; index < size * (1 + replicasPerMaster); index += 1) {
      // nodes.conf is written in each server's own data directory.
      servers.push(await startRedisServer({ args }));
    }
    const ports = servers.map((server) => server.port);
    await formCluster(ports.slice(0, size), ports.slice(size), replicasPerMaster);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodes: servers.slice(0, size).map((server) => ({ host: '127.0.0.1', port: server.port })), servers, dispose };
}

async function formCluster(masters: readonly number[], replicas: readonly number[], replicasPerMaster: number): Promise<void> {
  const all = [...masters, ...replicas];
  const clients = all.map((port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
  try {
    const share = Math.ceil(SLOTS / masters.length);
    await Promise.all(clients.slice(0, masters.length).map((client, index) =>
      client.call('CLUSTER', 'ADDSLOTSRANGE', index * share, Math.min(SLOTS, (index + 1) * share) - 1)));
    await Promise.all(clients.slice(1).map((client) => client.call('CLUSTER', 'MEET', '127.0.0.1', masters[0] as number)));
    await until(`the cluster on ports ${all.join(', ')} was not ok`, async () => {
      const infos = (await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO')))) as string[];
      return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${all.length}`));
    });
    if (replicas.length === 0) return;
    const ids = (await Promise.all(clients.slice(0, masters.length).map((client) => client.call('CLUSTER', 'MYID')))) as string[];
    // A replica can follow a master only once it knows the master's id (gossip got there).
    await Promise.all(clients.slice(masters.length).map(async (client, index) => {
      const masterId = ids[Math.floor(index / replicasPerMaster)] as string;
      await until(`a replica could not follow master ${masterId}`, async () => {
        try {
          await client.call('CLUSTER', 'REPLICATE', masterId);
          return true;
        } catch {
          return false;
        }
      });
    }));
    await until('the replicas were not in sync', async () => {
      const infos = (await Promise.all(clients.slice(0, masters.length).map((client) => client.info('replication')))) as string[];
      const synced = infos.every((info) => (info.match(/state=online/g) ?? []).length === replicasPerMaster);
      const states = (await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO')))) as string[];
      // Every node has heard (by gossip) which node replicates which (CLUSTER NODES on any node shows it).
      const views = (await Promise.all(clients.map((client) => client.call('CLUSTER', 'NODES')))) as string[];
      const replicasSeen = views.every((view) => view.split('\n').filter((line) => /[ ,](slave|replica) [0-9a-f]{40} /.test(line)).length === replicas.length);
      return synced && replicasSeen && states.every((info) => info.includes('cluster_state:ok'));
    });
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what} within 20 s`);
    await sleep(50);
  }
}
