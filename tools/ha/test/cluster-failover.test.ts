// A Redis Cluster of three masters, each with a replica, loses the master that holds the queue.
import { startRedisCluster, uniqueName, type RedisCluster, type RedisServer } from '@hotq/test-harness';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { describeReport, recordHistory, runFailover, type Deployment } from './_failover.js';

let cluster: RedisCluster | undefined;
afterEach(async () => {
  await cluster?.dispose();
  cluster = undefined;
});

async function withClient<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** A fresh cluster for one run; a node silent for 2 s is failed over. */
async function deploy(): Promise<Deployment> {
  const own = await startRedisCluster(3, { replicasPerMaster: 1, nodeTimeoutMs: 2_000 });
  cluster = own;
  const byPort = (port: number): RedisServer => own.servers.find((server) => server.port === port) as RedisServer;
  await recordHistory(own.servers.slice(3));
  return {
    env: { REDIS_CLUSTER_NODES: own.nodes.map((node) => `${node.host}:${node.port}`).join(',') },
    primaryOf: async (keyBase) => withClient(own.nodes[0]!.port, async (client) => {
      // CLUSTER NODES, not SLOTS: SLOTS leaves out a replica until its master has written something.
      const slot = Number(await client.cluster('KEYSLOT', keyBase));
      const lines = String(await client.call('CLUSTER', 'NODES')).trim().split('\n').map((line) => line.split(' '));
      const port = (fields: string[]): number => Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      const master = lines.find((fields) => fields.slice(8).some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return slot >= (from as number) && slot <= (to as number);
      }));
      if (!master) throw new Error(`no node holds slot ${slot}`);
      const replicas = lines.filter((fields) => fields[3] === master[0]);
      return { master: byPort(port(master)), replicas: replicas.map((fields) => byPort(port(fields))) };
    }),
    waitForFailover: async (_old, replicas) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        for (const replica of replicas) {
          const promoted = await withClient(replica.port, async (client) => {
            const [role, state] = await Promise.all([client.info('replication'), client.cluster('INFO') as Promise<string>]);
            return role.includes('role:master') && state.includes('cluster_state:ok');
          }).catch(() => false);
          if (promoted) return replica;
        }
        if (Date.now() > deadline) throw new Error('no replica took over within 30 s');
        await sleep(100);
      }
    },
    // A cluster replica follows the address its master announces, so no relay can sit between them
    // here: the replica is paused instead (bytes sent meanwhile wait in its socket, so on loopback
    // this mostly loses nothing; the Sentinel test stalls the link itself).
    stall: (replicas) => replicas.forEach((replica) => replica.signal('SIGSTOP')),
    resume: (replicas) => replicas.forEach((replica) => replica.signal('SIGCONT')),
    // With one replica per master the new master has none left, and a submission waiting for one
    // cannot be acknowledged: the dead node is started again (as an orchestrator would), rejoins as
    // the new master's replica, and submissions are acknowledged again.
    recover: async (master) => {
      await master.start();
    },
  };
}

describe('failover of a Redis Cluster master under load', () => {
  it('with HOTQ_WAIT_REPLICAS=1: the API and workers carry on, no acknowledged submission is lost, no job finishes twice', async () => {
    const report = await runFailover(await deploy(), { queue: uniqueName('ha'), waitReplicas: 1 });
    console.log(describeReport('Cluster', report));
    expect(report.acknowledgedBefore).toBeGreaterThan(5);
    expect(report.acknowledgedAfter).toBeGreaterThanOrEqual(20);
    expect(report.lost).toEqual([]);
    expect(report.unfinished, report.workers).toEqual([]);
    expect(report.finishedTwice).toEqual([]);
  });

  it('without it: the API and workers carry on, and the test reports how many acknowledged submissions were lost', async () => {
    const report = await runFailover(await deploy(), { queue: uniqueName('ha'), waitReplicas: 0 });
    console.log(describeReport('Cluster', report));
    expect(report.acknowledgedAfter).toBeGreaterThanOrEqual(20);
    expect(report.unfinished, report.workers).toEqual([]);
    expect(report.finishedTwice).toEqual([]);
  });
});
