// The layout of a queue's keys is recorded in Redis; a queue of this version never reads or writes
// keys of another layout as its own (hotq 0.1 wrote a hash `<base>:m:<id>` per message and a record
// `<base>:job:<id>` beside it, and recorded no layout).
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LayoutMismatchError, TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

async function dump(base: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await redis.keys(`${base.replace(/[{}]/g, '\\$&')}*`)) out[key] = (await redis.dumpBuffer(key))?.toString('base64') ?? '';
  return out;
}

describe('the layout of a queue in Redis', () => {
  it('is recorded by the first call on a new queue, and accepted by every later queue object', async () => {
    const name = uniqueName('layout');
    const first = new TaskQueue<string>({ redis, name });
    await first.put('a', { id: 'a' });
    expect(await redis.get(`${first.keyBase}:layout`)).toBe('2');
    const second = new TaskQueue<string>({ redis, name });
    await second.checkLayout();
    expect((await second.reserve()).messages.map((m) => m.payload)).toEqual(['a']);
  });

  it('refuses a queue that hotq 0.1 used, changing nothing, with a message naming both layouts and the way', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('layout') });
    const base = queue.keyBase;
    // What 0.1 left: a queued message in its own hash, the ready list and the running totals.
    await redis.hset(`${base}:m:old1`, 'p', '"work"', 'a', '0', 'm', '3');
    await redis.rpush(`${base}:ready`, 'old1');
    await redis.hset(`${base}:stats`, 'put', '1');
    const before = await dump(base);

    const refusal = await queue.put('new').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(LayoutMismatchError);
    expect(refusal).toMatchObject({ code: 'layout_mismatch', found: '1', expected: '2' });
    expect((refusal as Error).message).toMatch(/layout 1 \(hotq 0\.1\).*layout 2.*Drain the queue.*docs\/operations\.md/);
    await expect(queue.reserve()).rejects.toBeInstanceOf(LayoutMismatchError);
    await expect(queue.checkLayout()).rejects.toBeInstanceOf(LayoutMismatchError);
    expect(await dump(base)).toEqual(before);
  });

  it('refuses a layout it does not know (written by a later version)', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('layout') });
    await redis.set(`${queue.keyBase}:layout`, '3');
    await expect(queue.checkLayout()).rejects.toMatchObject({ code: 'layout_mismatch', found: '3', expected: '2' });
  });

  it('asks again after Redis did not answer, rather than remembering the failure', async () => {
    const broken = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const queue = new TaskQueue<string>({ redis: broken, name: uniqueName('layout') });
    // Not connected yet, and no offline queue: the first check fails at once (and starts connecting).
    await expect(queue.checkLayout()).rejects.toThrow();
    if (broken.status !== 'ready') await new Promise((resolve) => broken.once('ready', resolve));
    await queue.checkLayout();
    expect(await redis.get(`${queue.keyBase}:layout`)).toBe('2');
    broken.disconnect();
  });
});
