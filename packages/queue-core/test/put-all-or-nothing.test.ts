// A put is all or nothing: every message of a batch is checked (by the queue and by the hooks'
// check) before the first write, because Redis does not roll back a function that fails midway.
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MessageRefusedError, TaskQueue } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

// Records every message it takes; its check refuses vars without an owner.
const hooks = `
local H = {}
function H.check_put(id, ctx)
  if ctx.vars.owner == nil then return 'no owner' end
  return nil
end
function H.put(id, ctx)
  redis.call('SET', 'taken:' .. id, ctx.vars.owner)
end
return H`;

describe('TaskQueue.putMany, all or nothing', () => {
  it('writes nothing of a batch whose second message the hooks refuse, and says which', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('aon'), hooks });
    const refused = await queue.putMany([
      { payload: 'a', id: 'a', vars: { owner: 'x' } },
      { payload: 'b', id: 'b' },
      { payload: 'c', id: 'c', vars: { owner: 'x' } },
    ]).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(MessageRefusedError);
    expect(refused).toMatchObject({ code: 'message_refused', index: 1, reason: 'no owner' });
    expect((refused as Error).message).toMatch(/messages\[1\] was refused .*no owner.*nothing of this put was written/);
    expect(await redis.exists('taken:a', 'taken:b', 'taken:c')).toBe(0);
    // Only the layout the queue recorded on first use (it holds no message).
    expect(await redis.keys(`${queue.keyBase.replace(/[{}]/g, '\\$&')}*`)).toEqual([`${queue.keyBase}:layout`]);
    expect(await queue.stats()).toMatchObject({ ready: 0, totals: { put: 0 } });
  });

  it('takes the whole batch once every message passes', async () => {
    const queue = new TaskQueue<string>({ redis, name: uniqueName('aon'), hooks });
    const results = await queue.putMany(['a', 'b'].map((id) => ({ payload: id, id, vars: { owner: 'x' } })));
    expect(results.map((result) => result.outcome)).toEqual(['queued', 'queued']);
    expect(await redis.mget('taken:a', 'taken:b')).toEqual(['x', 'x']);
  });
});

describe('TaskQueue hooks written for another queue', () => {
  it('are refused at construction, naming both key bases', () => {
    const name = uniqueName('aon');
    expect(() => new TaskQueue({ redis, name, hooks: { source: hooks, keyBase: '{hotq:other}' } }))
      .toThrow(new RegExp(`key base \\{hotq:${name}\\}.*\\{hotq:other\\}`));
    expect(() => new TaskQueue({ redis, name, hooks: { source: '', keyBase: `{hotq:${name}}` } })).toThrow(/Lua chunk/);
    expect(new TaskQueue({ redis, name, hooks: { source: hooks, keyBase: `{hotq:${name}}` } }).keyBase).toBe(`{hotq:${name}}`);
  });
});
