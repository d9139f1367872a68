import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { LuaLibrary } from '@hotq/queue-core';

/** The jobs-store scripts of commands/ (besides the hooks chunk). */
const SCRIPT_NAMES = ['progress', 'list', 'counts', 'purge', 'delete', 'bulk', 'dependencies'] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const commandsDir = new URL('./commands/', import.meta.url);
const sources = new Map<string, string>();

function source(file: string): string {
  let text = sources.get(file);
  if (text === undefined) {
    text = readFileSync(new URL(file, commandsDir), 'utf8');
    sources.set(file, text);
  }
  return text;
}

/**
 * A Lua string literal for `value`: printable ASCII as is, every other byte (and quote and backslash)
 * as a decimal escape, which Lua 5.1 reads back byte for byte. The key base contains braces and colons.
 */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * The hooks chunk for a TaskQueue: the store's constants, the shared library and the hook table. It
 * ends with `return H`, as decision 0001 asks.
 */
export function hooksChunk(base: string, retentionMs: number): string {
  return `${header(base, retentionMs)}${source('_lib.lua')}\n${source('hooks.lua')}`;
}

function header(base: string, retentionMs: number): string {
  return `local BASE = ${luaString(base)}\nlocal RETENTION_MS = ${retentionMs}\n`;
}

/**
 * The store's own commands (besides the hooks), loaded once per server as one function library
 * (queue-core's LuaLibrary: FUNCTION LOAD and FCALL, or EVALSHA of the same source where Functions
 * are missing). Each command resets the per-call state of _lib.lua before it runs.
 */
export class ScriptSet {
  private readonly library: LuaLibrary;

  constructor(base: string, retentionMs: number) {
    const parts = [header(base, retentionMs), source('_lib.lua')];
    for (const name of SCRIPT_NAMES) {
      parts.push(`local function ${name}_command(KEYS, ARGV)\n${source(`${name}.lua`)}\nend`);
      parts.push(`register('${name}', function(keys, args)\n  reset_call_state()\n  return ${name}_command(keys, args)\nend)`);
    }
    this.library = new LuaLibrary(`${parts.join('\n')}\n`, SCRIPT_NAMES);
  }

  async run(redis: Redis | Cluster, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return await this.library.call(redis, name, keys, args);
  }
}
