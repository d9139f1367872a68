import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/** The jobs-store scripts of commands/ (besides the hooks chunk). */
export type ScriptName = 'progress' | 'list' | 'counts' | 'purge';

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

interface Script {
  readonly source: string;
  readonly sha: string;
}

/**
 * The scripts of one store. Calls go by SHA; when the server has lost its script cache (a restart,
 * SCRIPT FLUSH) the call is repeated with the full source, which loads it again. No MULTI is involved.
 */
export class ScriptSet {
  private readonly scripts = new Map<ScriptName, Script>();

  constructor(private readonly base: string, private readonly retentionMs: number) {}

  private script(name: ScriptName): Script {
    let script = this.scripts.get(name);
    if (script === undefined) {
      const text = `${header(this.base, this.retentionMs)}${source('_lib.lua')}\n${source(`${name}.lua`)}`;
      script = { source: text, sha: createHash('sha1').update(text).digest('hex') };
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
