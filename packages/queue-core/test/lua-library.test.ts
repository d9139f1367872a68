// The two loaders of one Lua source, on real servers: FUNCTION LOAD + FCALL where Redis has
// Functions, EVALSHA where it does not (FUNCTION renamed away, as on a locked-down server, and
// FCALL too, as on Redis 6.2), and the reload when a server lost the library.
import { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, LuaLibrary, TaskQueue } from '../src/index.js';

const servers: RedisServer[] = [];
const clients: Redis[] = [];

async function server(args: string[] = []): Promise<{ server: RedisServer; redis: Redis }> {
  const started = await startRedisServer({ args });
  servers.push(started);
  const redis = new Redis(started.url, { maxRetriesPerRequest: null });
  // Connection errors while a test restarts its server are expected; the calls wait for the reconnect.
  redis.on('error', () => undefined);
  clients.push(redis);
  return { server: started, redis };
}

afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});
afterAll(async () => {
  await Promise.all(servers.map((started) => started.dispose()));
});

/** Calls of `command` the server has run so far (INFO commandstats). */
async function commandCalls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  const line = info.split('\r\n').find((row) => row.startsWith(`cmdstat_${command.toLowerCase()}:`));
  return Number(/calls=(\d+)/.exec(line ?? '')?.[1] ?? 0);
}

/** A put, a reserve and an ack: the whole life of one message. */
async function roundTrip(redis: Redis, hooks?: string): Promise<void> {
  const queue = new TaskQueue<{ n: number }>({ redis, name: uniqueName('lib'), ...(hooks ? { hooks } : {}) });
  await queue.put({ n: 1 }, { id: 'one' });
  const { messages } = await queue.reserve();
  expect(messages).toMatchObject([{ id: 'one', payload: { n: 1 }, attempt: 1 }]);
  expect(await queue.ack(messages[0]!)).toBe(true);
  expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, totals: { put: 1, acked: 1 } });
}

// A hook that keeps state between calls unless `before` clears it: the library is loaded once, so a
// hook that forgot to reset would see the previous call's count.
const countingHooks = `
local H = {}
local seen = 0
function H.before(_now) seen = 0 end
function H.put(id, ctx)
  seen = seen + 1
  redis.call('SET', 'seen:' .. id, seen)
end
return H`;

describe('LuaLibrary with Redis Functions', () => {
  it('loads the library once per server and then only calls it', async () => {
    const { redis } = await server();
    await roundTrip(redis);
    const library = (await redis.call('FUNCTION', 'LIST')) as unknown[][];
    expect(library).toHaveLength(1);
    expect(String(library[0]![1])).toMatch(/^hotq_[0-9a-f]{16}$/);
    const loads = await commandCalls(redis, 'function|load');
    await roundTrip(redis);
    await roundTrip(redis);
    expect(await commandCalls(redis, 'function|load')).toBe(loads);
    expect(await commandCalls(redis, 'fcall')).toBeGreaterThanOrEqual(9);
    expect(await commandCalls(redis, 'evalsha')).toBe(0);
  });

  it('loads it again after FUNCTION FLUSH and after a restart without persistence, and the call goes through', async () => {
    const { server: started, redis } = await server();
    await roundTrip(redis);
    await redis.call('FUNCTION', 'FLUSH');
    await roundTrip(redis);
    await started.stop();
    await started.start();
    await roundTrip(redis);
    expect((await redis.call('FUNCTION', 'LIST')) as unknown[]).toHaveLength(1);
  });

  it('runs each call with fresh per-call state (the hooks chunk is loaded once)', async () => {
    const { redis } = await server();
    const queue = new TaskQueue({ redis, name: uniqueName('lib'), hooks: countingHooks });
    await queue.put('a', { id: 'a' });
    await queue.put('b', { id: 'b' });
    await queue.putMany([{ payload: 'c', id: 'c' }, { payload: 'd', id: 'd' }]);
    expect(await redis.mget('seen:a', 'seen:b', 'seen:c', 'seen:d')).toEqual(['1', '1', '1', '2']);
  });

  it('refuses a function the source does not register, and bad names', () => {
    const library = new LuaLibrary("register('ping', function(keys, args) return 'pong' end)", ['ping']);
    expect(library.name).toMatch(/^hotq_[0-9a-f]{16}$/);
    expect(() => new LuaLibrary('', ['ping'])).toThrow(InvalidArgumentError);
    expect(() => new LuaLibrary('return 1', ['has space'])).toThrow(/letters, digits and underscores/);
    return expect(library.call(new Redis({ lazyConnect: true }), 'pong', [], [])).rejects.toThrow(/one of ping/);
  });
});

describe('LuaLibrary.call sends what ioredis would send, whatever the client', () => {
  const echo = new LuaLibrary(
    "register('echo', function(keys, args) return { keys, args } end)\nregister('fail', function() return redis.error_reply('NOPE no such thing') end)",
    ['echo', 'fail'],
  );
  const variants: Array<[string, { keyPrefix?: string; enableAutoPipelining?: boolean; showFriendlyErrorStack?: boolean }, string]> = [
    ['a plain client', {}, ''],
    ['a client with a key prefix (applied to the keys)', { keyPrefix: 'pfx:' }, 'pfx:'],
    ['a client with automatic pipelining', { enableAutoPipelining: true }, ''],
    ['a client with friendly error stacks', { showFriendlyErrorStack: true }, ''],
  ];
  for (const [name, options, prefix] of variants) {
    it(`through ${name}: keys, strings and numbers (an integer past 2^53 in full)`, async () => {
      const { server: started } = await server();
      const redis = new Redis(started.url, options);
      clients.push(redis);
      const reply = await echo.call(redis, 'echo', ['k1', '{t}k2'], ['text', 12, -3.5, 2 ** 60, 'ünï:1']);
      expect(reply).toEqual([[`${prefix}k1`, `${prefix}{t}k2`], ['text', '12', '-3.5', '1152921504606846976', 'ünï:1']]);
      // A function's error reply rejects the call, as any command's would.
      await expect(echo.call(redis, 'fail', [], [])).rejects.toThrow(/^NOPE no such thing/);
      // The library is loaded again when it went missing, and the call goes through.
      await redis.call('FUNCTION', 'DELETE', echo.name);
      await expect(echo.call(redis, 'echo', ['k'], ['a'])).resolves.toEqual([[`${prefix}k`], ['a']]);
    });
  }
});

describe('LuaLibrary without Redis Functions: the same source by EVALSHA', () => {
  for (const [what, args] of [
    ['FUNCTION renamed away', ['--rename-command', 'FUNCTION', '']],
    ['FUNCTION and FCALL renamed away (as on Redis 6.2)', ['--rename-command', 'FUNCTION', '', '--rename-command', 'FCALL', '']],
  ] as const) {
    it(`runs every command with ${what}`, async () => {
      const { redis } = await server([...args]);
      await roundTrip(redis);
      await roundTrip(redis, countingHooks);
      expect(await commandCalls(redis, 'evalsha')).toBeGreaterThanOrEqual(6);
      expect(await commandCalls(redis, 'fcall')).toBeLessThanOrEqual(1);
    });
  }

  it('sends the script again when the server lost its script cache', async () => {
    const { redis } = await server(['--rename-command', 'FUNCTION', '']);
    await roundTrip(redis);
    await redis.script('FLUSH');
    await roundTrip(redis);
    expect(await commandCalls(redis, 'eval')).toBeGreaterThanOrEqual(1);
  });
});

describe('LuaLibrary.callAndWait: the call and a WAIT in one pipeline, through every loader', () => {
  const source = "register('incr', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)";
  for (const [what, args] of [
    ['Functions (loaded by the first call)', []],
    ['FUNCTION renamed away', ['--rename-command', 'FUNCTION', '']],
    ['FUNCTION and FCALL renamed away', ['--rename-command', 'FUNCTION', '', '--rename-command', 'FCALL', '']],
  ] as const) {
    it(`answers the function's reply and the replicas that confirmed, with ${what}`, async () => {
      const { redis } = await server([...args]);
      const library = new LuaLibrary(source, ['incr']);
      const key = uniqueName('n');
      expect(await library.callAndWait(redis, 'incr', [key], [2], 0, 100)).toEqual({ reply: 2, replicas: 0 });
      await redis.script('FLUSH');
      expect(await library.callAndWait(redis, 'incr', [key], [3], 0, 100)).toEqual({ reply: 5, replicas: 0 });
      // Loading (or resending a lost script) resends the pipeline; once loaded, one WAIT per call.
      const before = await commandCalls(redis, 'wait');
      expect(await library.callAndWait(redis, 'incr', [key], [1], 0, 100)).toEqual({ reply: 6, replicas: 0 });
      expect(await commandCalls(redis, 'wait')).toBe(before + 1);
      await expect(library.callAndWait(redis, 'nope', [key], [], 0, 100)).rejects.toBeInstanceOf(InvalidArgumentError);
    });
  }
});
