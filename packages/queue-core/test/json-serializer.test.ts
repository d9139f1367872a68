import { describe, expect, it } from 'vitest';
import { SerializationError } from '../src/errors.js';
import { jsonSerializer } from '../src/serializers/json.js';
import { fromTagged, jsonVectors, pythonJsonRoundTrip } from './fixtures/vectors.js';

const dumps = (value: unknown): string => jsonSerializer.dumps(value) as string;
const loads = (text: string | Buffer): unknown => jsonSerializer.loads(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'));

describe('json serializer: the bytes CPython json.dumps writes (test/fixtures/json-vectors.json)', () => {
  it.each(jsonVectors.map((vector) => [vector.name, vector] as const))('%s', (_name, vector) => {
    const value = fromTagged(vector.value);
    expect(dumps(value)).toBe(vector.python);
    expect(loads(vector.python)).toEqual(value);
  });

  it('writes ASCII only: non-ASCII as lower-case \\uXXXX, astral characters as surrogate pairs', () => {
    expect(dumps('é😀')).toBe('"\\u00e9\\ud83d\\ude00"');
    expect(Buffer.from(dumps({ k: ['ü'] }), 'utf8').every((byte) => byte < 0x80)).toBe(true);
  });
});

describe('json serializer: where JavaScript cannot match Python (documented in json.ts)', () => {
  it('writes an integral number as an int: 1.0 and 1 are one JavaScript value', () => {
    expect(dumps(1.0)).toBe('1'); // Python: json.dumps(1.0) == '1.0'
    expect(loads('1.0')).toBe(1);
    expect(dumps(-0)).toBe('-0.0');
    expect(dumps(2 ** 53)).toBe('9007199254740992.0'); // past 2^53 a number is a float
    expect(dumps(2n ** 53n)).toBe('9007199254740992'); // a bigint is an int
  });

  it('writes integer-like keys first, in ascending order', () => {
    expect(dumps({ b: 1, 2: 'two', 1: 'one' })).toBe('{"1": "one", "2": "two", "b": 1}'); // Python keeps insertion order
  });
});

describe('json serializer: refusals', () => {
  class Point {
    x = 1;
  }
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const deep: unknown[] = [];
  let cursor = deep;
  for (let i = 0; i < 1001; i++) cursor.push((cursor = []));

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Buffer', Buffer.from('x')],
    ['a class instance', new Point()],
    ['undefined inside an object', { a: undefined }],
    ['a circular reference', circular],
    ['nesting deeper than 1000', deep],
  ])('refuses %s with a SerializationError', (_name, value) => {
    expect(() => dumps(value)).toThrow(SerializationError);
  });

  it('names where the bad value is', () => {
    expect(() => dumps({ list: [1, undefined] })).toThrow(/at the item\.list\[1\]/);
  });

  it.each([
    ['not JSON', 'nope'],
    ['extra data', '{} {}'],
    ['a trailing comma', '[1,]'],
    ['a raw control character', '"a\tb"'],
    ['a leading zero', '01'],
    ['a bad escape', '"\\x"'],
    ['an unterminated string on the slow path', '[NaN, "abc'],
  ])('refuses %s when reading', (_name, text) => {
    expect(() => loads(text)).toThrow(SerializationError);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => loads(Buffer.from([0x22, 0xff, 0x22]))).toThrow(/not valid UTF-8/);
  });

  it('does not quote the payload in its error messages', () => {
    expect(() => loads('{"secret": "hunter2", oops}')).toThrow(/^json: expected a property name in double quotes at character 22$/);
  });
});

describe('json serializer: reading what Python writes', () => {
  it('reads NaN, Infinity and -Infinity', () => {
    expect(loads('[NaN, Infinity, -Infinity]')).toEqual([NaN, Infinity, -Infinity]);
  });

  it('reads integers past 2^53 as bigints and the integer -0 as 0', () => {
    expect(loads('[9007199254740991, 9007199254740993, -0, -0.0, 1e400]')).toEqual([
      9007199254740991,
      9007199254740993n,
      0,
      -0,
      Infinity,
    ]);
  });

  it('keeps a "__proto__" key as data, on both parsing paths', () => {
    for (const text of ['{"__proto__": {"polluted": true}}', '{"__proto__": {"polluted": true}, "n": NaN}']) {
      const value = loads(text) as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(Object.keys(value)).toContain('__proto__');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('drops a UTF-8 byte order mark, as json.loads does for bytes', () => {
    expect(loads(Buffer.from([0xef, 0xbb, 0xbf, 0x31]))).toBe(1);
  });

  it('reads the same values on the fast path (JSON.parse) and on its own parser', () => {
    const text = '{"a": [1, 2.5, "\\u00e9\\ud83d\\ude00", true, null, {"b": -3e-7}], "c": "\\"\\\\\\/\\b\\f\\n\\r\\t"}';
    const fast = loads(text);
    const slow = loads(text.replace('{"a"', '{"nan": NaN, "a"')) as Record<string, unknown>;
    delete slow.nan;
    expect(slow).toEqual(fast);
  });
});

describe('json serializer: live cross-check with python3', () => {
  it('CPython re-encodes our output of every vector and of 3000 random floats to the same bytes', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const floats = Array.from({ length: 3000 }, () => (random() - 0.5) * 10 ** Math.floor(random() * 60 - 30));
    const texts = [
      ...jsonVectors.map((vector) => dumps(fromTagged(vector.value))),
      ...floats.map((x) => dumps(x)),
      dumps({ nested: floats.slice(0, 50), text: 'é\u0000😀\ud800' }),
    ];
    expect(pythonJsonRoundTrip(texts)).toEqual(texts);
  });
});
