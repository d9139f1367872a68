import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { LuaLibrary } from './lua-library.js';

/** The TaskQueue commands, by file name under commands/. */
export const SCRIPT_NAMES = [
  'put', 'reserve', 'ack', 'nack', 'extend', 'release', 'remove',
  'schedule_set', 'schedule_pause', 'schedule_resume', 'schedule_run', 'schedule_remove', 'schedule_refill',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const commandsDir = new URL('./commands/', import.meta.url);
const read = (file: string): string => readFileSync(new URL(file, commandsDir), 'utf8');
// Each shared file uses the ones before it (_sched.lua the steps of _lib.lua, _deps.lua both,
// _add.lua all three, _repeat.lua all four), and the commands use them all.
const libSource = ['_lib.lua', '_sched.lua', '_deps.lua', '_add.lua', '_repeat.lua'].map(read).join('\n');
const commandSources = new Map<ScriptName, string>(SCRIPT_NAMES.map((name) => [name, read(`${name}.lua`)]));

/**
 * The library of one queue configuration: the caller's hooks chunk, the shared steps of _lib.lua,
 * _sched.lua, _deps.lua, _add.lua and _repeat.lua, and one function per command. Each command's body becomes a
 * function of (KEYS, ARGV), wrapped so that begin() sets the call's keys and clock first and the
 * hooks' `after` runs last, whatever it returns.
 */
export function composeLibrary(hooks: string | undefined): string {
  const parts = [
    hooks ? `local HOOKS = (function()\n${hooks}\nend)() or {}` : 'local HOOKS = {}',
    libSource,
  ];
  for (const [name, source] of commandSources) {
    parts.push(`local function ${name}_command(KEYS, ARGV)\n${source}\nend`);
    parts.push(`register('${name}', function(keys, args)\n  begin(keys, args)\n  local result = ${name}_command(keys, args)\n  finish()\n  return result\nend)`);
  }
  return `${parts.join('\n')}\n`;
}

/** The queue's commands, loaded once per server as a function library (see {@link LuaLibrary}). */
export class ScriptSet {
  readonly library: LuaLibrary;

  constructor(hooks: string | undefined) {
    this.library = new LuaLibrary(composeLibrary(hooks), SCRIPT_NAMES);
  }

  run(redis: Redis | Cluster, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return this.library.call(redis, name, keys, args);
  }

  /** `run`, then `WAIT replicas timeoutMs` in the same round trip (see {@link LuaLibrary.callAndWait}). */
  async runAndWait(
    redis: Redis | Cluster, name: ScriptName, keys: readonly string[], args: readonly (string | number)[], replicas: number, timeoutMs: number,
  ): Promise<{ reply: unknown; replicas: number }> {
    return await this.library.callAndWait(redis, name, keys, args, replicas, timeoutMs);
  }
}
