import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsStore } from '../src/index.js';
import { luaString } from '../src/_scripts.js';
import { connect } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

describe('queueHooks()', () => {
  it('is a Lua chunk that returns the hook table decision 0003 names', async () => {
    const store = new JobsStore({ redis, prefix: 'hotq', queue: 'chunk-test' });
    // The way queue-core embeds it: inside a function, before its own script.
    const names = (await redis.eval(`local HOOKS = (function()\n${store.queueHooks().source}\nend)() or {}
      local names = {}
      for name, fn in pairs(HOOKS) do if type(fn) == 'function' then names[#names + 1] = name end end
      table.sort(names)
      return names`, 0)) as string[];
    expect(names).toEqual(['ack', 'after', 'before', 'cancel', 'cancelJob', 'check_put', 'dead', 'expire', 'promote', 'put', 'release', 'remove', 'reserve', 'retry', 'retryJob', 'unblock']);
  });

  it('bakes in the key base and retention as Lua literals', async () => {
    const store = new JobsStore({ redis, prefix: 'my.prefix', queue: 'q-1_x', retentionMs: 1234 });
    const [base, retention] = (await redis.eval(`${store.queueHooks().source.replace(/\nreturn H\s*$/, '')}\nreturn { BASE, RETENTION_MS }`, 0)) as [string, number];
    expect(base).toBe('{my.prefix:q-1_x}');
    expect(retention).toBe(1234);
  });

  it('quotes any string byte for byte', async () => {
    for (const value of ['{hotq:jobs}', 'quote " and \\ backslash', 'new\nline ]] --[[', 'é ✓ \u0000 \u007f']) {
      expect(await redis.eval(`return ${luaString(value)}`, 0)).toBe(value);
    }
  });
});
