import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { InvalidArgumentError } from './errors.js';
import { sendCall } from './_send-call.js';

/** How a server runs a library: as a Redis function library, or as scripts by SHA. */
type Loader = 'functions' | 'scripts';

/** The loader chosen for each connection, found out by its first call. */
const loaders = new WeakMap<Redis | Cluster, Loader>();

const FUNCTION_NAME = /^[A-Za-z0-9_]+$/;

/**
 * One Lua source of functions, run on Redis by either of two loaders:
 *
 * - **Functions** (Redis 7 and later): the source is loaded once per server with `FUNCTION LOAD` as a
 *   library named `hotq_<hash of the source>` and called with `FCALL`, so the code at its top level
 *   (helper definitions, a hooks chunk) runs once per load instead of once per call. When the server
 *   answers that the function is missing (a restart without persistence, `FUNCTION FLUSH`, a failover,
 *   a new cluster node), the library is loaded again (on a cluster: on every master) and the call is
 *   retried once.
 * - **Scripts** (servers without Functions: Redis 6.2, KeyDB, Dragonfly, or `FUNCTION` renamed away):
 *   the same source, with a one-line entry per function, through `EVALSHA` (and `EVAL` when the script
 *   cache lost it).
 *
 * The source registers its functions by calling `register(name, fn)`, where `fn(KEYS, ARGV)` receives
 * the call's keys and arguments. It must not call Redis at its top level (a library load cannot), and
 * state it keeps between calls must be reset by the function itself at the start of each call.
 * @public
 */
export class LuaLibrary {
  /** `hotq_` and the first 16 hex digits of the source's SHA-1: a changed source is a new library. */
  readonly name: string;
  /** The functions the source registers, checked when they are called. */
  readonly functions: ReadonlySet<string>;
  private readonly source: string;
  private readonly scripts = new Map<string, { source: string; sha: string }>();

  /**
   * @param source - Lua that calls `register(name, fn)` once per function.
   * @param functions - the names it registers (letters, digits and underscores).
   */
  constructor(source: string, functions: readonly string[]) {
    if (typeof source !== 'string' || source.trim() === '') throw new InvalidArgumentError('source', 'Lua source text', source);
    if (!Array.isArray(functions) || functions.length === 0) {
      throw new InvalidArgumentError('functions', 'the non-empty list of function names the source registers', functions);
    }
    for (const name of functions) {
      if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
        throw new InvalidArgumentError('functions', 'names of letters, digits and underscores', name);
      }
    }
    this.source = source;
    this.functions = new Set(functions);
    this.name = `hotq_${createHash('sha1').update(source).digest('hex').slice(0, 16)}`;
  }

  /** The text `FUNCTION LOAD` receives. */
  get functionSource(): string {
    return `#!lua name=${this.name}\nlocal function register(name, fn) redis.register_function('${this.name}_' .. name, fn) end\n${this.source}`;
  }

  /** The script `EVALSHA` runs for function `fn` where Functions are missing: the same source, then the call. */
  scriptSource(fn: string): string {
    return this.script(fn).source;
  }

  /**
   * Calls function `fn` with `keys` and `args`: one round trip (two or three when the library must be
   * loaded first). Not an async function: the common call, with the library loaded, is the FCALL's
   * own promise and one handler, and this runs for every message put, leased and acknowledged.
   */
  call(redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (!this.functions.has(fn)) return Promise.reject(new InvalidArgumentError('fn', `one of ${[...this.functions].join(', ')}`, fn));
    const loader = loaders.get(redis) ?? 'functions';
    if (loader === 'scripts') return this.evaluate(redis, fn, keys, args);
    return sendCall(redis, 'FCALL', [`${this.name}_${fn}`, keys.length, ...keys, ...args])
      .catch((error: unknown) => this.callAfterMiss(redis, fn, keys, args, error));
  }

  /** The rest of {@link LuaLibrary.call} when its FCALL failed: loads the library, or turns to scripts, and calls again. */
  private async callAfterMiss(redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[], error: unknown): Promise<unknown> {
    if (isUnknownCommand(error)) return await this.switchToScripts(redis, fn, keys, args);
    if (!isMissingFunction(error)) throw error;
    try {
      await this.load(redis);
    } catch (loadError) {
      if (isUnknownCommand(loadError)) return await this.switchToScripts(redis, fn, keys, args);
      throw loadError;
    }
    loaders.set(redis, 'functions');
    return await sendCall(redis, 'FCALL', [`${this.name}_${fn}`, keys.length, ...keys, ...args]);
  }

  /**
   * Calls function `fn` like {@link LuaLibrary.call}, followed by `WAIT replicas timeoutMs` in the
   * same pipeline: one round trip, on the same connection to the same server (on a cluster, the
   * node that holds the keys' slot), so the WAIT covers the call's writes and cannot be answered by
   * another server after a failover. Resolves with the function's reply and the number of replicas
   * that confirmed; rejects as the call would (the WAIT then does not matter).
   */
  async callAndWait(
    redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[], replicas: number, timeoutMs: number,
  ): Promise<{ reply: unknown; replicas: number }> {
    if (!this.functions.has(fn)) throw new InvalidArgumentError('fn', `one of ${[...this.functions].join(', ')}`, fn);
    // A redirection (the slot moved: a failover or resharding) means the call did not run; the
    // pipeline is not followed to the new node by the client, so it is sent again, a bounded number of times.
    for (let redirections = 0; ; redirections += 1) {
      try {
        return await this.pipelinedCallAndWait(redis, fn, keys, args, replicas, timeoutMs);
      } catch (error) {
        if (!redis.isCluster || !isRedirection(error) || redirections >= 5) throw error;
        await (redis as Cluster).refreshSlotsCache?.();
        await new Promise((resolve) => setTimeout(resolve, 50 * (redirections + 1)));
      }
    }
  }

  private async pipelinedCallAndWait(
    redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[], replicas: number, timeoutMs: number,
  ): Promise<{ reply: unknown; replicas: number }> {
    const send = async (command: string, head: readonly (string | number)[]): Promise<{ reply: unknown; replicas: number }> => {
      const results = (await redis.pipeline().call(command, ...head, keys.length, ...keys, ...args).call('WAIT', replicas, timeoutMs).exec()) ?? [];
      const [call, wait] = results;
      if (!call || call[0]) throw call?.[0] ?? new Error(`${command} got no reply`);
      if (!wait || wait[0]) throw wait?.[0] ?? new Error('WAIT got no reply');
      return { reply: call[1], replicas: Number(wait[1]) };
    };
    const loader = loaders.get(redis) ?? 'functions';
    if (loader === 'functions') {
      try {
        return await send('FCALL', [`${this.name}_${fn}`]);
      } catch (error) {
        if (isUnknownCommand(error)) {
          loaders.set(redis, 'scripts');
        } else if (isMissingFunction(error)) {
          const loaded = await this.load(redis).then(() => true, (loadError: unknown) => {
            if (!isUnknownCommand(loadError)) throw loadError;
            return false;
          });
          if (loaded) return await send('FCALL', [`${this.name}_${fn}`]);
          loaders.set(redis, 'scripts');
        } else {
          throw error;
        }
      }
    }
    const script = this.script(fn);
    try {
      return await send('EVALSHA', [script.sha]);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) return await send('EVAL', [script.source]);
      throw error;
    }
  }

  /** Loads the library on the server (every master of a cluster); a library already there is kept. */
  async load(redis: Redis | Cluster): Promise<void> {
    const targets: Array<Redis | Cluster> = redis.isCluster ? (redis as Cluster).nodes('master') : [redis];
    await Promise.all(targets.map(async (node) => {
      try {
        await node.call('FUNCTION', 'LOAD', this.functionSource);
      } catch (error) {
        if (!(error instanceof Error) || !/already exists/i.test(error.message)) throw error;
      }
    }));
  }

  private async switchToScripts(redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    loaders.set(redis, 'scripts');
    return await this.evaluate(redis, fn, keys, args);
  }

  private async evaluate(redis: Redis | Cluster, fn: string, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = this.script(fn);
    try {
      return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return await redis.eval(script.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  private script(fn: string): { source: string; sha: string } {
    let script = this.scripts.get(fn);
    if (script === undefined) {
      const source = `local __functions = {}\nlocal function register(name, fn) __functions[name] = fn end\n${this.source}\n`
        + `return __functions['${fn}'](KEYS, ARGV)\n`;
      script = { source, sha: createHash('sha1').update(source).digest('hex') };
      this.scripts.set(fn, script);
    }
    return script;
  }
}

/** The cluster answered that another node holds the slot: the command did not run. */
function isRedirection(error: unknown): boolean {
  return error instanceof Error && /^(MOVED|ASK) /.test(error.message);
}

function isMissingFunction(error: unknown): boolean {
  return error instanceof Error && /function not found/i.test(error.message);
}

/** FCALL or FUNCTION unknown (an older server) or renamed away (`rename-command FUNCTION ""`). */
function isUnknownCommand(error: unknown): boolean {
  return error instanceof Error && /unknown command/i.test(error.message);
}
