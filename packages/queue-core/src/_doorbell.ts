// The doorbell of a partitioned queue (docs/decisions/0021): a consumer that found every partition
// empty registers as a sleeper and blocks on one list, `{prefix:queue}:doorbell`; a producer that
// made messages ready in any partition rings it (pushes a token per ready message, at most one per
// sleeper). A function of one partition cannot touch another slot, so the ring is a call of its own,
// sent by the producer after its put, and costs two commands while nobody sleeps.
import type { Cluster, Redis } from 'ioredis';
import { LuaLibrary } from './lua-library.js';
import { withTimeout } from './_redis.js';
import { WorkWaiter } from './_work-waiter.js';

/** How long a doorbell's tokens outlive the last ring (tokens of sleepers that died go with it). */
const TOKENS_TTL_MS = 60_000;

const SOURCE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- KEYS: 1 sleepers (ZSET member -> end of its wait, ms), 2 doorbell (LIST of tokens)
-- ARGV: 1 tokens wanted (messages made ready), 2 ttl of the tokens (ms)
-- Returns the tokens pushed.
register('ring', function(keys, args)
  if redis.call('ZCARD', keys[1]) == 0 then return 0 end
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', '(' .. now_ms())
  local n = math.min(redis.call('ZCARD', keys[1]), tonumber(args[1])) - redis.call('LLEN', keys[2])
  if n <= 0 then return 0 end
  local tokens = {}
  for i = 1, n do tokens[i] = '1' end
  redis.call('LPUSH', keys[2], unpack(tokens))
  redis.call('PEXPIRE', keys[2], args[2])
  return n
end)
-- KEYS: 1 sleepers; ARGV: 1 member, 2 how long it will sleep (ms)
register('nap', function(keys, args)
  local now = now_ms()
  redis.call('ZREMRANGEBYSCORE', keys[1], '-inf', '(' .. now)
  redis.call('ZADD', keys[1], now + tonumber(args[2]), args[1])
  return 1
end)
`;
const library = new LuaLibrary(SOURCE, ['ring', 'nap']);

/** The doorbell of one partitioned queue, as its producers ring it and its consumers sleep on it. */
export class Doorbell {
  private readonly sleepers: string;
  private readonly list: string;
  private readonly waiter: WorkWaiter;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly base: string,
    private readonly timeoutMs: number,
  ) {
    this.sleepers = `${base}:sleepers`;
    this.list = `${base}:doorbell`;
    this.waiter = new WorkWaiter(redis, this.list, timeoutMs);
  }

  /**
   * Wakes up to `ready` sleepers. Not awaited by the producer: a ring that fails (Redis out of
   * reach) leaves sleepers to their bounded wait.
   */
  ring(ready: number): void {
    if (ready <= 0) return;
    withTimeout(library.call(this.redis, 'ring', [this.sleepers, this.list], [ready, TOKENS_TTL_MS]), this.timeoutMs, 'ring').catch(() => {});
  }

  /** Registers `member` as sleeping for up to `ms`, so that rings from now on wake it. One round trip. */
  async register(member: string, ms: number): Promise<void> {
    await withTimeout(library.call(this.redis, 'nap', [this.sleepers], [member, Math.ceil(ms) + this.timeoutMs]), this.timeoutMs, 'reserve (going to sleep)');
  }

  /**
   * Blocks until a ring, `ms` pass, or `signal` aborts (which ends the wait through the sleeper's own
   * list, so no token is taken from another sleeper), on the blocking connection of the queue.
   */
  async sleep(member: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    await this.waiter.wait(ms, signal, `${this.base}:nap:${member}`);
  }

  /** No longer sleeping: rings need not count `member`. Not awaited; the entry expires anyway. */
  unregister(member: string): void {
    withTimeout(this.redis.zrem(this.sleepers, member), this.timeoutMs, 'reserve (woken)').catch(() => {});
  }

  /** Closes the blocking connection, if one was made. */
  close(): void {
    this.waiter.close();
  }
}
