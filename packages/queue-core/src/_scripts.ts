import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/** The TaskQueue scripts, by file name under commands/. */
export type ScriptName = 'put' | 'reserve' | 'ack' | 'nack' | 'extend' | 'release' | 'remove';

const commandsDir = new URL('./commands/', import.meta.url);
const libSource = readFileSync(new URL('_lib.lua', commandsDir), 'utf8');
const commandSources = new Map<ScriptName, string>();

function commandSource(name: ScriptName): string {
  let source = commandSources.get(name);
  if (source === undefined) {
    source = readFileSync(new URL(`${name}.lua`, commandsDir), 'utf8');
    commandSources.set(name, source);
  }
  return source;
}

/** One assembled script: the caller's hooks, the shared library, the command. */
interface Script {
  readonly source: string;
  readonly sha: string;
}

/**
 * The scripts of one queue configuration (one hooks chunk). Calls go by SHA; when the server has
 * lost its script cache (a restart, SCRIPT FLUSH) the call is repeated with the full source, which
 * also loads it again. No MULTI is involved, so nothing depends on the cache surviving.
 */
export class ScriptSet {
  private readonly scripts = new Map<ScriptName, Script>();

  constructor(private readonly hooks: string | undefined) {}

  private script(name: ScriptName): Script {
    let script = this.scripts.get(name);
    if (script === undefined) {
      const hooks = this.hooks
        ? `local HOOKS = (function()\n${this.hooks}\nend)() or {}\n`
        : 'local HOOKS = {}\n';
      // The command runs as a function so that the hooks' `after` (work they batch per call) runs
      // once, after the command's own writes, whatever it returns.
      const source = `${hooks}${libSource}\nlocal function command()\n${commandSource(name)}\nend\n`
        + 'local result = command()\nif HOOKS.after then HOOKS.after() end\nreturn result\n';
      script = { source, sha: createHash('sha1').update(source).digest('hex') };
      this.scripts.set(name, script);
    }
    return script;
  }

  async run(redis: Redis | Cluster, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = this.script(name);
    try {
      return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
        return await redis.eval(script.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}
