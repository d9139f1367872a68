import { JobInputError } from './errors.js';
import { describe, isPlainObject } from './_validate.js';

/**
 * How deep params, results and progress may nest (objects and arrays within each other), as in
 * common JSON parsers' defaults. Deeper is refused by this rule rather than by a stack overflow,
 * whose depth would depend on the process.
 */
const MAX_JSON_DEPTH = 100;

/**
 * Serializes `value` as JSON, refusing what JSON cannot carry faithfully: non-finite numbers (JSON has
 * no NaN or Infinity; JSON.stringify would silently write null), BigInt, functions, symbols and objects
 * that are neither plain nor have a `toJSON` (a Map would silently become `{}`), and nesting deeper
 * than {@link MAX_JSON_DEPTH}. Object fields whose value is `undefined` are left out, as
 * JSON.stringify does. Throws JobInputError naming `field`.
 */
export function toJsonText(field: string, value: unknown, maxBytes: number, limitName: string): string {
  // Plain data, as a parsed JSON body always is, needs none of the checks below: one walk proves it.
  const text = isPlainJson(value, 0) ? JSON.stringify(value) ?? 'null' : checkedJsonText(field, value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new JobInputError(field, `is ${bytes} bytes of JSON, over the limit of ${maxBytes} bytes (${limitName})`);
  }
  return text;
}

/**
 * Whether `value` is made only of strings, booleans, null, finite numbers, and plain objects and
 * arrays of them nested at most {@link MAX_JSON_DEPTH} deep (object fields may also be undefined, which
 * JSON leaves out): what JSON.stringify writes faithfully as it is. `depth` is that of `value`'s holder.
 */
function isPlainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (depth >= MAX_JSON_DEPTH) return false;
      if (Array.isArray(value)) {
        for (const item of value) if (item === undefined || !isPlainJson(item, depth + 1)) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      for (const key in value) if (!isPlainJson(value[key], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}

/** JSON.stringify with every check made as it goes: for values that are not plain data, and to say what is wrong. */
function checkedJsonText(field: string, value: unknown): string {
  let text: string | undefined;
  // The depth of each object or array met so far; the holder of the top value is at depth 0.
  const depths = new Map<object, number>();
  try {
    text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, item: unknown) {
      const where = key === '' ? '' : ` (at key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}...` : key)})`;
      if (typeof item === 'object' && item !== null) {
        const depth = (depths.get(this) ?? 0) + 1;
        if (depth > MAX_JSON_DEPTH) throw new JobInputError(field, `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
        depths.set(item, depth);
      }
      if (typeof item === 'number' && !Number.isFinite(item)) {
        throw new JobInputError(field, `must be JSON, which has no ${String(item)}${where}`);
      }
      if (typeof item === 'bigint' || typeof item === 'function' || typeof item === 'symbol') {
        throw new JobInputError(field, `must be JSON; ${describe(item)} is not${where}`);
      }
      const original = this[key];
      if (typeof original === 'object' && original !== null && !Array.isArray(original) && !isPlainObject(original)
        && typeof (original as { toJSON?: unknown }).toJSON !== 'function') {
        throw new JobInputError(field, `must be JSON; ${describe(original)} is not${where}`);
      }
      return item;
    });
  } catch (error) {
    if (error instanceof JobInputError) throw error;
    throw new JobInputError(field, `must be JSON (${(error as Error).message})`);
  }
  return text ?? 'null';
}

/** Parses JSON written by this package; a damaged value comes back as null rather than throwing. */
export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
