// The text Python's `json.dumps(value)` writes with its defaults (ensure_ascii=True,
// separators (', ', ': '), allow_nan=True), so a Python consumer comparing or hashing payloads sees
// the same bytes from us as from a Python producer. Where JavaScript values cannot say what Python
// would know (1.0 against 1, key order of integer-like keys) the rules are in json.ts.
import { SerializationError, describe } from '../errors.js';
import { pythonFloatRepr } from './_python-float-repr.js';

/** Deeper than this is refused (CPython's own encoder gives up near its recursion limit, 1000). */
export const MAX_JSON_DEPTH = 1000;

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/** Python's `py_encode_basestring_ascii`: every UTF-16 code unit outside ' '..'~' as `\uXXXX`. */
export function pythonJsonString(text: string): string {
  let out = '"';
  let plainFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e && unit !== 0x22 && unit !== 0x5c) continue;
    out += text.slice(plainFrom, i);
    // Code units, not code points: a character outside the BMP comes out as its surrogate pair,
    // and a lone surrogate as itself, exactly as Python writes them.
    out += SHORT_ESCAPES[unit] ?? `\\u${unit.toString(16).padStart(4, '0')}`;
    plainFrom = i + 1;
  }
  return `${out}${text.slice(plainFrom)}"`;
}

/** Python's `float.__repr__`, but json's spelling of the three non-finite values. */
function pythonJsonNumber(value: number): string {
  // A safe integer is taken to be a Python int. Past 2^53 a JavaScript number is almost surely the
  // result of float arithmetic, so it is written as the float it is (1e16 -> "1e+16").
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return pythonFloatRepr(value);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Encodes `value` as Python's json.dumps would; throws SerializationError naming the path. */
export function pythonJsonDumps(value: unknown): string {
  const ancestors = new Set<object>();

  const encode = (item: unknown, path: string, depth: number): string => {
    switch (typeof item) {
      case 'string':
        return pythonJsonString(item);
      case 'number':
        return pythonJsonNumber(item);
      case 'bigint':
        return item.toString();
      case 'boolean':
        return item ? 'true' : 'false';
      case 'object':
        break;
      default:
        throw new SerializationError(`json cannot encode ${describe(item)} at ${path}`);
    }
    if (item === null) return 'null';
    if (depth >= MAX_JSON_DEPTH) throw new SerializationError(`json refuses nesting deeper than ${MAX_JSON_DEPTH} at ${path}`);
    if (ancestors.has(item)) throw new SerializationError(`json cannot encode a circular reference at ${path}`);
    ancestors.add(item);
    try {
      if (Array.isArray(item)) {
        return `[${item.map((element, index) => encode(element, `${path}[${index}]`, depth + 1)).join(', ')}]`;
      }
      // Like Python's encoder (and unlike JSON.stringify), no toJSON(), no Date, Map or class
      // instance: what cannot be written faithfully is refused rather than guessed at.
      if (!isPlainObject(item)) throw new SerializationError(`json cannot encode ${describe(item)} at ${path}`);
      const members = Object.keys(item).map(
        (key) => `${pythonJsonString(key)}: ${encode(item[key], `${path}.${key}`, depth + 1)}`,
      );
      return `{${members.join(', ')}}`;
    } finally {
      ancestors.delete(item);
    }
  };

  return encode(value, 'the item', 0);
}
