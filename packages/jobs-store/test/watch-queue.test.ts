// watchQueue (every job's status changes, for a list that stays live) and announceCreated (the
// creations the scripts do not send), on the shared test Redis; the reconnect case drops
// connections, so it runs on a server of its own.
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError, JobsStore, type QueueChange } from '../src/index.js';
import { connect, Fixture, sleep } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

async function until(changes: QueueChange[], done: (changes: QueueChange[]) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!done(changes)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; changes so far: ${JSON.stringify(changes)}`);
    await sleep(5);
  }
}

async function subscribers(channel: string, expected: number): Promise<number> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const count = Number(((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1]);
    if (count === expected || Date.now() > deadline) return count;
    await sleep(10);
  }
}

describe('watchQueue', () => {
  it('reports every status change of every job, with the new status, in order per job', async () => {
    const f = new Fixture(redis);
    const changes: QueueChange[] = [];
    const stop = await f.store.watchQueue((change) => changes.push(change));
    const a = (await f.submit()).id;
    const b = (await f.submit()).id;
    const tokenA = await f.start(a);
    await f.start(b);
    await f.succeed(a, tokenA);
    await until(changes, (seen) => seen.length === 3, 'three changes');
    expect(changes).toEqual([
      { kind: 'status', id: a, status: 'running' },
      { kind: 'status', id: b, status: 'running' },
      { kind: 'status', id: a, status: 'succeeded' },
    ]);
    await stop();
  });

  it('shares the store\'s one subscriber connection with job watchers, and closes it after the last listener of either kind', async () => {
    const f = new Fixture(redis);
    const channel = `${f.store.keyBase}:events`;
    const id = (await f.submit()).id;
    const stopQueue = await f.store.watchQueue(() => {});
    const stopOther = await f.store.watchQueue(() => {});
    const stopJob = await f.store.watch(id, () => {});
    expect(await subscribers(channel, 1)).toBe(1);
    await stopQueue();
    await stopJob();
    expect(await subscribers(channel, 1)).toBe(1);
    await stopOther();
    expect(await subscribers(channel, 0)).toBe(0);
  });

  it('refuses a listener that is not a function', async () => {
    const f = new Fixture(redis);
    await expect(f.store.watchQueue('nope' as never)).rejects.toThrow(JobInputError);
  });
});

describe('announceCreated', () => {
  it('sends creations to queue watchers as status changes, in one message', async () => {
    const f = new Fixture(redis);
    const changes: QueueChange[] = [];
    const stop = await f.store.watchQueue((change) => changes.push(change));
    const a = (await f.submit()).id;
    const b = (await f.submit({ type: 'echo', delayMs: 60_000 })).id;
    await f.store.announceCreated([{ id: a, status: 'queued' }, { id: b, status: 'delayed' }]);
    await until(changes, (seen) => seen.length === 2, 'two creations');
    expect(changes).toEqual([{ kind: 'status', id: a, status: 'queued' }, { kind: 'status', id: b, status: 'delayed' }]);
    await stop();
  });

  it('reaches a watcher of another store (another process) once the mark is seen, and publishes nothing while nobody watches', async () => {
    const watcher = new Fixture(redis);
    // A store of the same queue on its own connection, as another API process would have.
    const otherRedis = connect();
    const other = new JobsStore({ redis: otherRedis, queue: watcher.queue });
    const channel = `${watcher.store.keyBase}:events`;
    const id = (await watcher.submit()).id;
    // Nobody watches: the announce looks the mark up once and sends nothing.
    expect(await subscribers(channel, 0)).toBe(0);
    const monitor = connect();
    const seen: string[] = [];
    await monitor.subscribe(channel);
    monitor.on('message', (_channel: string, message: string) => seen.push(message));
    await other.announceCreated([{ id, status: 'queued' }]);
    await sleep(100);
    expect(seen).toEqual([]);

    const changes: QueueChange[] = [];
    const stop = await watcher.store.watchQueue((change) => changes.push(change));
    // The other store learnt "not watched" under a second ago; it looks again after that.
    await sleep(1_100);
    await other.announceCreated([{ id, status: 'queued' }]);
    await until(changes, (all) => all.length === 1, 'the announcement');
    expect(changes).toEqual([{ kind: 'status', id, status: 'queued' }]);
    expect(seen).toEqual([JSON.stringify({ created: [[id, 'queued']] })]);
    await stop();
    monitor.disconnect();
    otherRedis.disconnect();
  });

  it('refuses a malformed id or status, sending nothing', async () => {
    const f = new Fixture(redis);
    const id = (await f.submit()).id;
    await expect(f.store.announceCreated([{ id: 'nope', status: 'queued' }])).rejects.toThrow(/jobs\[0\]\.id: must be a job id/);
    await expect(f.store.announceCreated([{ id, status: 'lost' as never }])).rejects.toThrow(/jobs\[0\]\.status: must be one of/);
    await expect(f.store.announceCreated('x' as never)).rejects.toThrow(JobInputError);
  });
});

describe('watchQueue across a dropped subscriber connection', () => {
  let server: RedisServer;
  let own: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    own = new Redis(server.url);
  });
  afterAll(async () => {
    own.disconnect();
    await server.dispose();
  });

  it('says resync after reconnecting, so a listener reads again what it may have missed', async () => {
    const f = new Fixture(own);
    const changes: QueueChange[] = [];
    const stop = await f.store.watchQueue((change) => changes.push(change));
    await own.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await until(changes, (seen) => seen.some((change) => change.kind === 'resync'), 'resync');
    // And it goes on: a change after the reconnect arrives.
    const id = (await f.submit()).id;
    await f.start(id);
    await until(changes, (seen) => seen.some((change) => change.kind === 'status' && change.id === id), 'the change after the reconnect');
    await stop();
  });
});
