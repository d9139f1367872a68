// Durability: with waitReplicas, a put resolves only once that many replicas have it (WAIT in the
// put's own round trip, on the node of the queue's slot), and says so when they do not in time.
import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, startRedisServer, uniqueName, type RedisCluster, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, isRedisUnavailable, NotReplicatedError, RedisUnavailableError, TaskQueue } from '../src/index.js';

/** Calls of each command on a server since its stats were last reset: `{ fcall: 3, wait: 3, ... }`. */
async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1] as string] = Number(match[2]);
  return calls;
}

describe('TaskQueue waitReplicas on a master with one replica', () => {
  let master: RedisServer;
  let replica: RedisServer;
  let redis: Redis;
  const queues: TaskQueue<unknown>[] = [];
  beforeAll(async () => {
    master = await startRedisServer();
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    redis = new Redis(master.url);
    for (let tries = 0; !/slave0:.*state=online/.test(await redis.info('replication')); tries += 1) {
      if (tries > 200) throw new Error('the replica never came in sync');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 30_000);
  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    redis?.disconnect();
    await replica?.dispose();
    await master?.dispose();
  });
  const makeQueue = <T>(options: { waitReplicas?: number; waitReplicasTimeoutMs?: number } = {}): TaskQueue<T> => {
    const queue = new TaskQueue<T>({ redis, name: uniqueName('durable'), ...options });
    queues.push(queue as TaskQueue<unknown>);
    return queue;
  };

  it('acknowledges a put once the replica has it, with one WAIT per put and no other extra command', async () => {
    const plain = makeQueue<number>();
    const durable = makeQueue<number>({ waitReplicas: 1 });
    await plain.put(0);
    await durable.put(0); // the first put loads the library on its connection: not counted
    await redis.config('RESETSTAT');
    for (let n = 1; n <= 10; n += 1) await plain.put(n);
    const withoutWait = await commandCalls(redis);
    await redis.config('RESETSTAT');
    for (let n = 1; n <= 10; n += 1) expect((await durable.put(n)).outcome).toBe('queued');
    await durable.putMany([{ payload: 11 }, { payload: 12 }]);
    const withWait = await commandCalls(redis);
    // 11 puts: 11 function calls and 11 WAITs (a batch waits once); nothing else besides.
    expect(withoutWait).toMatchObject({ fcall: 10 });
    expect(withoutWait.wait).toBeUndefined();
    expect(withWait).toMatchObject({ fcall: 11, wait: 11 });
    const replicaClient = new Redis(replica.url);
    try {
      expect(await replicaClient.exists(`${durable.keyBase}:job:${(await durable.put(13)).id}`)).toBe(1);
    } finally {
      replicaClient.disconnect();
    }
  });

  it('refuses a put with NotReplicatedError when fewer replicas confirm in time; the message exists on the master', async () => {
    const queue = makeQueue<string>({ waitReplicas: 2, waitReplicasTimeoutMs: 100 });
    const started = performance.now();
    const error = await queue.put('one replica only', { id: 'only-one' }).catch((caught: unknown) => caught);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect(error).toBeInstanceOf(NotReplicatedError);
    expect(error).toMatchObject({ code: 'not_replicated', acknowledged: 1, wanted: 2, ids: ['only-one'] });
    expect((error as Error).message).toMatch(/1 of the 2 replicas waited for confirmed the put within 100 ms/);
    expect(await queue.stats()).toMatchObject({ ready: 1 });
    // Putting the same id again changes nothing and waits again.
    await expect(queue.put('again', { id: 'only-one' })).rejects.toBeInstanceOf(NotReplicatedError);
    expect(await queue.stats()).toMatchObject({ ready: 1 });
  });

  it('says Redis is unavailable (not a script failure) when the server dies while a put waits for its replicas', async () => {
    const own = await startRedisServer();
    const client = new Redis(own.url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => {
      // The server is killed on purpose.
    });
    try {
      // A replica asked of a server that has none: the WAIT holds the put's pipeline open for its timeout.
      const queue = new TaskQueue<string>({ redis: client, name: uniqueName('cut'), waitReplicas: 1, waitReplicasTimeoutMs: 5_000 });
      await queue.put('first').catch(() => undefined); // loads the library (and answers NotReplicatedError)
      const pending = queue.put('cut off').then(() => null, (error: unknown) => error);
      const admin = new Redis(own.url);
      for (let tries = 0; !/cmd=wait/.test(String(await admin.client('LIST'))); tries += 1) {
        if (tries > 300) throw new Error('the put never reached its WAIT');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      admin.disconnect();
      // ioredis aborts a pipeline whose connection closes before its replies ("Command aborted due to connection close").
      await own.kill();
      const error = await pending;
      expect(error).toBeInstanceOf(RedisUnavailableError);
      expect(isRedisUnavailable(error)).toBe(true);
      await queue.close().catch(() => undefined);
    } finally {
      client.disconnect();
      await own.dispose();
    }
  });

  it('refuses bad waitReplicas options, naming them', () => {
    expect(() => new TaskQueue({ redis, name: 'x', waitReplicas: -1 })).toThrow(InvalidArgumentError);
    expect(() => new TaskQueue({ redis, name: 'x', waitReplicas: 1.5 })).toThrow(/options.waitReplicas must be an integer from 0 to 100/);
    expect(() => new TaskQueue({ redis, name: 'x', waitReplicas: 1, waitReplicasTimeoutMs: 0 })).toThrow(/options.waitReplicasTimeoutMs must be an integer from 1 to 60000/);
  });
});

describe('TaskQueue waitReplicas on a Redis Cluster with a replica per master', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3, { replicasPerMaster: 1 });
    client = new Cluster([...cluster.nodes]);
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.dispose();
  });

  it('runs the WAIT on the master that holds the queue\'s slot, and only there', async () => {
    const queue = new TaskQueue<number>({ redis: client, name: uniqueName('durable'), waitReplicas: 1 });
    try {
      await queue.put(0);
      const masters = cluster.servers.slice(0, 3).map((server) => new Redis(server.url));
      try {
        await Promise.all(masters.map((master) => master.config('RESETSTAT')));
        for (let n = 1; n <= 5; n += 1) await queue.put(n);
        const calls = await Promise.all(masters.map(commandCalls));
        const slot = Number(await client.cluster('KEYSLOT', `${queue.keyBase}:x`));
        const owner = await Promise.all(masters.map(async (master) => Number(await master.cluster('COUNTKEYSINSLOT', slot)) > 0));
        calls.forEach((counted, index) => {
          if (owner[index]) expect(counted).toMatchObject({ fcall: 5, wait: 5 });
          else expect(counted.wait).toBeUndefined();
        });
        expect(owner.filter(Boolean)).toHaveLength(1);
      } finally {
        for (const master of masters) master.disconnect();
      }
    } finally {
      await queue.close();
    }
  });
});
