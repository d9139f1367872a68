// Test support: a store on a unique queue name, and a runner that calls the store's hooks the way
// queue-core's scripts do (the hooks chunk inlined in a script, one hook called with a ctx), so the
// real Lua runs against the real Redis without importing queue-core.
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

  constructor(private readonly redis: Redis, store: JobsStore) {
    // `redis` is shadowed by a counting proxy, so the hooks' commands can be counted.
    this.source = `
local __real = redis
local __calls = 0
local redis = setmetatable({ call = function(...) __calls = __calls + 1; return __real.call(...) end }, { __index = __real })
local HOOKS = (function()
${store.queueHooks()}
end)() or {}
local t = __real.call('TIME')
local ctx = cjson.decode(ARGV[2])
ctx.now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ctx.delayMs ~= nil then ctx.dueAt = ctx.now + ctx.delayMs; ctx.delayMs = nil end
if ctx.vars == nil then ctx.vars = {} end
local out = HOOKS[ARGV[1]](ARGV[3], ctx)
-- As queue-core does at the end of every script call.
if HOOKS.after then HOOKS.after() end
return { out or false, __calls }`;
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  async call(hook: string, id: string, ctx: HookContext = {}, redis: Redis = this.redis): Promise<HookOutcome> {
    const args = [hook, JSON.stringify(ctx), id];
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
    const ctx: HookContext = { attempt: 0, vars: prepared.put.vars };
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
