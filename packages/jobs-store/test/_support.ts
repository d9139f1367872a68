// Test support: a store on a unique queue name, and a runner that calls the store's hooks the way
// queue-core's functions do (the hooks chunk inlined in a script, one hook called with a ctx, and
// the queue's side of the step around it: the fence, the read of ctx.record, the one HSET of the
// queue's fields with ctx.writes, as commands/_lib.lua in queue-core), so each hook can be driven
// alone, with any ctx, against the real Redis. The whole path through a real TaskQueue is tested by
// the api's and the worker's tests.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { uniqueName } from '@hotq/test-harness';
import { inject } from 'vitest';
import { JobsStore, type JobsStoreOptions, type SubmitInput } from '../src/index.js';

/** What queue-core puts in ctx (now is Redis time unless given; delayMs turns into dueAt = now + delayMs). */
export interface HookContext {
  token?: string;
  attempt?: number;
  consumer?: string;
  reason?: string;
  delayMs?: number;
  vars?: Record<string, string>;
  /** put: the payload the queue stores (field P), and the max attempts (field M). */
  payload?: string;
  maxAttempts?: number;
}

export interface HookOutcome {
  /** What the hook returned (a refusal), or null. */
  refusal: string | null;
  /** How many Redis commands the hook ran. */
  commands: number;
}

export class HookRunner {
  private readonly source: string;
  private readonly sha: string;

  private readonly keyBase: string;

  constructor(private readonly redis: Redis, store: JobsStore) {
    this.keyBase = store.keyBase;
    // `redis` is shadowed by a counting proxy, so the hooks' commands can be counted.
    this.source = `
local __real = redis
local __calls = 0
local redis = setmetatable({ call = function(...) __calls = __calls + 1; return __real.call(...) end }, { __index = __real })
local HOOKS = (function()
${store.queueHooks().source}
end)() or {}
local name, id, key = ARGV[1], ARGV[3], ARGV[4] .. ':job:' .. ARGV[3]
local t = __real.call('TIME')
local ctx = cjson.decode(ARGV[2])
ctx.now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ctx.delayMs ~= nil then ctx.dueAt = ctx.now + ctx.delayMs; ctx.delayMs = nil end
if ctx.vars == nil then ctx.vars = {} end
local payload, max = ctx.payload, ctx.maxAttempts or 3
ctx.payload, ctx.maxAttempts = nil, nil
-- The queue's fence: a step of a lease passes only with the lease's token (field T).
local LEASE_STEPS = { ack = true, cancel = true, dead = true, retry = true, expire = true, release = true }
if LEASE_STEPS[name] and (ctx.token == nil or __real.call('HGET', key, 'T') ~= ctx.token) then return { false, 0 } end
-- The queue's read, with the hooks' fields (ctx.record).
local names = HOOKS.fields or {}
ctx.record = {}
if #names > 0 then
  local values = __real.call('HMGET', key, unpack(names))
  for i, field in ipairs(names) do if values[i] then ctx.record[field] = values[i] end end
end
-- The queue leases only a message that is neither leased nor ended.
if name == 'reserve' then
  local q = __real.call('HMGET', key, 'T', 'E')
  if (q[1] or '') ~= '' or q[2] == '1' then return { false, 0 } end
end
local put = name == 'put' or name == 'retryJob' or name == 'check_put'
if put and name ~= 'check_put' then
  local existing = __real.call('HMGET', key, 'A', 'E')
  if existing[1] and existing[2] ~= '1' then return { 'exists', 0 } end
  ctx.revive = existing[1] ~= false and existing[2] == '1'
end
ctx.writes = {}
-- As queue-core does at the start of every call.
if HOOKS.before then HOOKS.before(ctx.now) end
local out = HOOKS[name](id, ctx)
if out == nil and name ~= 'check_put' and name ~= 'promote' then
  local q = {}
  if put then
    if ctx.revive then __real.call('HDEL', key, 'P', 'R', 'E', 'T', 'C') end
    q = { 'A', 0, 'M', max }
    -- A payload longer than 64 bytes lives beside the hash, as queue-core keeps it.
    if payload and #payload <= 64 then q[5], q[6] = 'P', payload
    elseif payload then __real.call('SET', ARGV[4] .. ':payload:' .. id, payload) end
  elseif name == 'reserve' then q = { 'A', ctx.attempt or 1, 'T', ctx.token or '', 'C', ctx.consumer or '' }
  elseif name == 'dead' then q = { 'T', '', 'E', '1', 'R', ctx.reason or '' }
  elseif name == 'release' then q = { 'A', ctx.attempt or 0, 'T', '' }
  elseif name == 'retry' or name == 'expire' then q = { 'T', '' }
  else q = { 'T', '', 'E', '1' } end
  for i = 1, #ctx.writes do q[#q + 1] = ctx.writes[i] end
  __real.call('HSET', key, unpack(q))
end
-- As queue-core does at the end of every call.
if HOOKS.after then HOOKS.after() end
return { out or false, __calls }`;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async call(hook: string, id: string, ctx: HookContext = {}, redis: Redis = this.redis): Promise<HookOutcome> {
    const args = [hook, JSON.stringify(ctx), id, this.keyBase];
    let reply: unknown;
    try {
      reply = await redis.evalsha(this.sha, 0, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      reply = await redis.eval(this.source, 0, ...args);
    }
    const [refusal, commands] = reply as [string | null, number];
    return { refusal: refusal ?? null, commands };
  }
}

/** A store (and its hook runner) on a queue name of its own, with helpers for a job's trip. */
export class Fixture {
  readonly store: JobsStore;
  readonly hooks: HookRunner;
  readonly queue: string;
  private tokens = 0;

  constructor(readonly redis: Redis, options: Partial<JobsStoreOptions> = {}) {
    this.queue = uniqueName('js');
    this.store = new JobsStore({ redis, queue: this.queue, ...options });
    this.hooks = new HookRunner(redis, this.store);
  }

  /** Every key of this store. */
  async keys(): Promise<string[]> {
    return (await this.redis.keys(`${this.store.keyBase.replace(/[{}]/g, '\\$&')}*`)).sort();
  }

  /** Submits as the api does: prepareSubmission, then the put hook (queue.put runs it). */
  async submit(input: SubmitInput = { type: 'echo', params: { n: 1 } }): Promise<{ id: string; refusal: string | null }> {
    const prepared = this.store.prepareSubmission(input);
    const ctx: HookContext = { attempt: 0, vars: prepared.put.vars, payload: JSON.stringify(prepared.payload), maxAttempts: prepared.put.maxAttempts };
    if (prepared.put.delayMs > 0) ctx.delayMs = prepared.put.delayMs;
    const { refusal } = await this.hooks.call('put', prepared.id, ctx);
    return { id: prepared.id, refusal };
  }

  /** Starts a job as a reserve does; returns the lease token. */
  async start(id: string, attempt = 1, consumer = 'worker-1'): Promise<string> {
    const token = `tok${++this.tokens}`;
    await this.hooks.call('reserve', id, { token, attempt, consumer });
    return token;
  }

  async succeed(id: string, token: string, result: unknown = { ok: true }): Promise<void> {
    await this.hooks.call('ack', id, { token, attempt: 1, vars: this.store.completion(result).vars });
  }
}

export function connect(): Redis {
  return new Redis(inject('redisUrl'));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
