import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { startRedisServer, type RedisServer } from './redis-server.js';
import { startTcpLink, type TcpLink } from './tcp-link.js';

/** Options of {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** Replicas of the master. Default 2: after a failover one replica still backs the new master. */
  replicas?: number;
  /** Sentinel processes. Default 3, with a quorum of 2. */
  sentinels?: number;
  /** The master's name. Default `mymaster`. */
  name?: string;
  /** How long a master must be silent before the sentinels call it down. Default 1 000 ms. */
  downAfterMs?: number;
  /** Extra arguments of the data servers (master and replicas), e.g. `['--appendonly', 'yes']`. */
  args?: string[];
  /**
   * Replicas reach the master through a {@link TcpLink} each, so a test can stall replication
   * ({@link RedisSentinel.stallReplication}). Default false.
   */
  replicationLinks?: boolean;
}

/** A throwaway Sentinel deployment on loopback: a master, its replicas and the sentinels watching them. */
export interface RedisSentinel {
  /** The master's name as the sentinels know it. */
  readonly name: string;
  /** The master the deployment started with. */
  readonly master: RedisServer;
  /** Its replicas, in start order. */
  readonly replicas: readonly RedisServer[];
  /** The data servers, master first. */
  readonly servers: readonly RedisServer[];
  /** The sentinels' addresses, as ioredis's `sentinels` option and REDIS_SENTINELS take them. */
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>;
  /** `host:port,...` of the sentinels (the value of REDIS_SENTINELS). */
  readonly sentinelList: string;
  /** The port of the master now, as a sentinel reports it. */
  masterPort(): Promise<number>;
  /**
   * Waits until every sentinel names a master other than the one on `oldPort`, and that master
   * answers as a master; resolves with its port.
   */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * Stops passing the master's writes to its replicas (needs `replicationLinks`): from now on the
   * master acknowledges writes no replica will ever get, as when the network to its replicas stalls.
   */
  stallReplication(): void;
  /** Stops every process and removes their directories. */
  dispose(): Promise<void>;
}

async function withClient<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  client.on('error', () => {
    // A failed call reports it; the client is thrown away.
  });
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/** The fields of a `SENTINEL MASTER` or `INFO` reply as a map. */
function fields(reply: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let index = 0; index + 1 < reply.length; index += 2) map.set(String(reply[index]), String(reply[index + 1]));
  } else {
    for (const line of String(reply).split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0) map.set(line.slice(0, at), line.slice(at + 1));
    }
  }
  return map;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    await sleep(100);
  }
}

/**
 * Starts a Sentinel deployment on loopback, in the way production runs one: a master, `replicas`
 * replicas of it and `sentinels` `redis-server --sentinel` processes (quorum: a majority) on free
 * ports with temporary directories. Resolves once every replica is in sync and every sentinel
 * knows the master, every replica and every other sentinel. Never touches a shared Redis.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const name = options.name ?? 'mymaster';
  const replicaCount = options.replicas ?? 2;
  const sentinelCount = options.sentinels ?? 3;
  const downAfterMs = options.downAfterMs ?? 1_000;
  const quorum = Math.floor(sentinelCount / 2) + 1;
  const servers: RedisServer[] = [];
  const sentinelServers: RedisServer[] = [];
  const dirs: string[] = [];
  const links: TcpLink[] = [];
  const dispose = async (): Promise<void> => {
    await Promise.all(links.map((link) => link.close()));
    await Promise.all([...sentinelServers, ...servers].map((server) => server.dispose()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const master = await startRedisServer({ args: options.args ?? [] });
    servers.push(master);
    for (let index = 0; index < replicaCount; index += 1) {
      let port = master.port;
      if (options.replicationLinks) {
        const link = await startTcpLink(master.port);
        links.push(link);
        port = link.port;
      }
      servers.push(await startRedisServer({ args: [...(options.args ?? []), '--replicaof', '127.0.0.1', String(port)] }));
    }
    await until(`the master on ${master.port} did not have ${replicaCount} replicas in sync`, 20_000, async () => withClient(master.port, async (client) => {
      const info = fields(await client.info('replication'));
      const online = [...info.entries()].filter(([key, value]) => /^slave\d+$/.test(key) && value.includes('state=online'));
      return online.length === replicaCount ? true : undefined;
    }));
    for (let index = 0; index < sentinelCount; index += 1) {
      const dir = mkdtempSync(join(tmpdir(), 'hotq-sentinel-'));
      dirs.push(dir);
      const port = await freePort();
      const configFile = join(dir, 'sentinel.conf');
      writeFileSync(configFile, [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} ${quorum}`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} ${Math.max(4 * downAfterMs, 3_000)}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'));
      sentinelServers.push(await startRedisServer({ port, dir, configFile, args: ['--sentinel'] }));
    }
    await Promise.all(sentinelServers.map((sentinel) => until(`sentinel ${sentinel.port} did not learn the deployment`, 30_000, async () => withClient(sentinel.port, async (client) => {
      const master = fields(await client.call('SENTINEL', 'MASTER', name));
      const known = Number(master.get('num-slaves')) === replicaCount && Number(master.get('num-other-sentinels')) === sentinelCount - 1;
      return known ? true : undefined;
    }))));
  } catch (error) {
    await dispose();
    throw error;
  }
  const sentinels = sentinelServers.map((server) => ({ host: '127.0.0.1', port: server.port }));
  const askedPort = async (sentinel: RedisServer): Promise<number> => withClient(sentinel.port, async (client) => {
    const reply = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
    return Number(reply[1]);
  });
  return {
    name,
    master: servers[0] as RedisServer,
    replicas: servers.slice(1),
    servers,
    sentinels,
    sentinelList: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
    masterPort: async () => askedPort(sentinelServers[0] as RedisServer),
    waitForFailover: async (oldPort, timeoutMs = 30_000) => until(`the sentinels did not fail over from ${oldPort}`, timeoutMs, async () => {
      const ports = await Promise.all(sentinelServers.map(async (sentinel) => askedPort(sentinel).catch(() => oldPort)));
      const port = ports[0] as number;
      if (port === oldPort || ports.some((other) => other !== port)) return undefined;
      const role = await withClient(port, async (client) => fields(await client.info('replication')).get('role'));
      return role === 'master' ? port : undefined;
    }),
    stallReplication: () => {
      if (links.length === 0) throw new Error('stallReplication needs a deployment started with replicationLinks: true');
      for (const link of links) link.hold();
    },
    dispose,
  };
}
