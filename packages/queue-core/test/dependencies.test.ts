// Dependencies: a message put with dependsOn waits until they have all ended, and is made ready by the
// call that ends the last one; a failed or cancelled dependency fails it (or not, when it runs anyway).
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DependencyError, InvalidArgumentError, TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

// Hooks that keep every ended message's hash, as job records do.
const KEEP = 'return { keep_records = true }';

function newQueue(hooks?: string): TaskQueue<string> {
  return new TaskQueue<string>({ redis, name: uniqueName('deps'), hooks, maxAttempts: 1 });
}

/** Takes every ready message, returning their ids (sorted) and leases by id. */
async function takeAll(queue: TaskQueue<string>) {
  const { messages } = await queue.reserve({ count: 1_000 });
  return { ids: messages.map((m) => m.id).sort(), lease: new Map(messages.map((m) => [m.id, m])) };
}

async function deadReasons(queue: TaskQueue<string>): Promise<Record<string, string>> {
  return Object.fromEntries((await queue.deadLetters({ limit: 100 })).map((d) => [d.id, d.reason]));
}

describe('TaskQueue dependencies', () => {
  it('runs a chain in order, each made ready by the ack of the one before', async () => {
    const queue = newQueue();
    const put = await queue.putMany([
      { payload: 'a', id: 'a' },
      { payload: 'b', id: 'b', dependsOn: ['a'] },
      { payload: 'c', id: 'c', dependsOn: ['b'] },
    ]);
    expect(put.map((p) => p.outcome)).toEqual(['queued', 'waiting', 'waiting']);
    expect(await queue.stats()).toMatchObject({ ready: 1, waiting: 2, totals: { put: 3 } });
    for (const id of ['a', 'b', 'c']) {
      const taken = await takeAll(queue);
      expect(taken.ids).toEqual([id]);
      expect(await queue.ack(taken.lease.get(id)!)).toBe(true);
    }
    expect(await queue.stats()).toMatchObject({ ready: 0, waiting: 0, leased: 0 });
    // The plain queue deleted them all, and nothing of the waits is left.
    expect(await redis.keys(`${queue.keyBase.replace(/[{}]/g, '\\$&')}:waiters:*`)).toEqual([]);
  });

  it('holds a fan-in of 100 until the last of them ends', async () => {
    const queue = newQueue();
    const children = Array.from({ length: 100 }, (_, n) => `child-${n}`);
    await queue.putMany(children.map((id) => ({ payload: id, id })));
    expect((await queue.put('parent', { id: 'parent', dependsOn: children })).outcome).toBe('waiting');
    const taken = await takeAll(queue);
    expect(taken.ids).toEqual([...children].sort());
    for (const id of children.slice(0, 99)) await queue.ack(taken.lease.get(id)!);
    expect((await takeAll(queue)).ids).toEqual([]);
    expect(await queue.stats()).toMatchObject({ waiting: 1 });
    await queue.ack(taken.lease.get('child-99')!);
    expect((await takeAll(queue)).ids).toEqual(['parent']);
  });

  it('fails what waits on a dead letter, and so on down the chain, unless it runs anyway', async () => {
    const queue = newQueue();
    await queue.putMany([
      { payload: 'a', id: 'a' },
      { payload: 'b', id: 'b', dependsOn: ['a'] },
      { payload: 'c', id: 'c', dependsOn: ['b'] },
      { payload: 'd', id: 'd', dependsOn: ['b'], onDependencyFailure: 'run' },
      { payload: 'e', id: 'e', dependsOn: ['a'], onDependencyFailure: 'run' },
    ]);
    const taken = await takeAll(queue);
    expect(await queue.nack(taken.lease.get('a')!, { dead: true, reason: 'boom' })).toBe('dead');
    expect(await deadReasons(queue)).toEqual({ a: 'boom', b: 'dependency a failed', c: 'dependency b failed' });
    // d ran anyway after b failed; e after a failed.
    expect((await takeAll(queue)).ids).toEqual(['d', 'e']);
    expect(await queue.stats()).toMatchObject({ waiting: 0, dead: 3 });
  });

  it('fails what waits on a cancelled message, and forgets a waiting message that is cancelled', async () => {
    const queue = newQueue();
    await queue.putMany([
      { payload: 'a', id: 'a' },
      { payload: 'b', id: 'b', dependsOn: ['a'] },
      { payload: 'x', id: 'x' },
      { payload: 'y', id: 'y', dependsOn: ['x'] },
    ]);
    expect(await queue.remove('a')).toMatchObject({ outcome: 'removed' });
    expect(await deadReasons(queue)).toEqual({ b: 'dependency a was cancelled' });
    expect(await queue.remove('y')).toMatchObject({ outcome: 'removed' });
    expect(await queue.stats()).toMatchObject({ waiting: 0, ready: 1 });
    const taken = await takeAll(queue);
    expect(taken.ids).toEqual(['x']);
    await queue.ack(taken.lease.get('x')!);
    // y was cancelled: the end of x does not bring it back.
    expect((await takeAll(queue)).ids).toEqual([]);
  });

  it('reads an ended dependency by its outcome when the hashes are kept', async () => {
    const queue = newQueue(KEEP);
    await queue.putMany([{ payload: 'ok', id: 'ok' }, { payload: 'bad', id: 'bad' }]);
    const taken = await takeAll(queue);
    await queue.ack(taken.lease.get('ok')!);
    await queue.nack(taken.lease.get('bad')!, { dead: true, reason: 'no' });
    expect((await queue.put('after-ok', { id: 'after-ok', dependsOn: ['ok'] })).outcome).toBe('queued');
    expect((await queue.put('after-bad', { id: 'after-bad', dependsOn: ['bad'] })).outcome).toBe('dead');
    expect((await queue.put('anyway', { id: 'anyway', dependsOn: ['bad', 'ok'], onDependencyFailure: 'run' })).outcome).toBe('queued');
    expect((await deadReasons(queue))['after-bad']).toBe('dependency bad failed');
    expect((await takeAll(queue)).ids).toEqual(['after-ok', 'anyway']);
  });

  it('keeps a delay that has not run out when the dependencies end', async () => {
    const queue = newQueue();
    await queue.putMany([
      { payload: 'a', id: 'a' },
      { payload: 'later', id: 'later', dependsOn: ['a'], delayMs: 60_000 },
    ]);
    const taken = await takeAll(queue);
    await queue.ack(taken.lease.get('a')!);
    expect(await queue.stats()).toMatchObject({ waiting: 0, delayed: 1, ready: 0 });
  });

  it('refuses a dependency that does not exist, or comes later in the put, and writes nothing', async () => {
    const queue = newQueue();
    const unknown = await queue.put('b', { id: 'b', dependsOn: ['nope'] }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(DependencyError);
    expect(unknown).toMatchObject({ code: 'unknown_dependency', index: 0, dependency: 'nope' });
    expect((unknown as Error).message).toMatch(/depends on nope, which is not a message of this queue/);
    const later = await queue.putMany([
      { payload: 'a', id: 'a', dependsOn: ['z'] },
      { payload: 'z', id: 'z' },
    ]).catch((error: unknown) => error);
    expect(later).toMatchObject({ index: 0, dependency: 'z' });
    expect(await queue.stats()).toMatchObject({ ready: 0, waiting: 0, totals: { put: 0 } });
    await expect(queue.put('s', { id: 's', dependsOn: ['s'] })).rejects.toThrow(InvalidArgumentError);
    await expect(queue.put('s', { id: 's', dependsOn: ['a'], onDependencyFailure: 'maybe' as 'run' })).rejects.toThrow(/"fail" or "run"/);
    await expect(queue.put('s', { dependsOn: Array.from({ length: 1_001 }, (_, n) => `m${n}`) })).rejects.toThrow(/at most 1000/);
  });
});
