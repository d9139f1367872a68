import { describe, expect, it } from 'vitest';
import { SerializationError, UnsafePickleError } from '../src/errors.js';
import { pickleSerializer } from '../src/serializers/pickle.js';
import { fromTagged, pickleVectors, pythonLoadsCheck, refusedPickles } from './fixtures/vectors.js';

const loadsHex = (hex: string): unknown => pickleSerializer.loads(Buffer.from(hex, 'hex'));
const dumps = (value: unknown): Buffer => pickleSerializer.dumps(value) as Buffer;

const decodeCases = pickleVectors.flatMap((vector) =>
  Object.entries(vector.pickles).map(([protocol, hex]) => [`${vector.name}, protocol ${protocol}`, hex, vector] as const),
);

describe('pickle serializer: reads what CPython pickles (test/fixtures/pickle-vectors.json)', () => {
  it.each(decodeCases)('%s', (_name, hex, vector) => {
    expect(loadsHex(hex)).toEqual(fromTagged(vector.value));
  });

  it('keeps shared references shared (the memo)', () => {
    const vector = pickleVectors.find((v) => v.name === 'shared references');
    const value = loadsHex(vector?.pickles['4'] ?? '') as [unknown, unknown, { again: unknown }];
    expect(value[0]).toBe(value[1]);
    expect(value[2].again).toBe(value[0]);
  });

  it('reads a list that contains itself', () => {
    // l = []; l.append(l): EMPTY_LIST MEMOIZE BINGET 0 APPEND STOP
    const value = pickleSerializer.loads(Buffer.from([0x80, 0x04, 0x5d, 0x94, 0x68, 0x00, 0x61, 0x2e])) as unknown[];
    expect(value[0]).toBe(value);
  });

  it.each([
    ['LIST', '8002284b014b026c2e', [1, 2]],
    ['DICT', '8002288c01614b01642e', { a: 1 }],
    ['SETITEM', '80027d8c016b4b02732e', { k: 2 }],
    ['DUP and TUPLE2', '80024b0732862e', [7, 7]],
    ['POP', '80024b014b02302e', 1],
    ['POP_MARK', '80024b05284b014b02312e', 5],
    ['LONG_BINPUT and LONG_BINGET', '80024b097205000000306a050000002e', 9],
    ['BINUNICODE8', '80048d01000000000000007a2e', 'z'],
    ['BINBYTES8', '80048e01000000000000007a2e', Buffer.from('z')],
    ['trailing bytes after STOP (ignored, as Python does)', '80044b012effff', 1],
  ])('reads %s', (_name, hex, expected) => {
    expect(loadsHex(hex)).toEqual(expected);
  });

  it('keeps a "__proto__" key as data', () => {
    const vector = pickleVectors.find((v) => v.name === 'dict __proto__ key');
    const value = loadsHex(vector?.pickles['2'] ?? '') as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
  });

  it('returns numbers for ints within ±(2^53 - 1) and bigints past them', () => {
    expect(loadsHex(pickleVectors.find((v) => v.name === 'int max safe')?.pickles['4'] ?? '')).toBe(2 ** 53 - 1);
    expect(loadsHex(pickleVectors.find((v) => v.name === 'int 2**53')?.pickles['4'] ?? '')).toBe(2n ** 53n);
  });
});

describe('pickle serializer: refuses what is not plain data (test/fixtures/pickle-refused.json)', () => {
  it.each(refusedPickles.filter((p) => p.expect === 'unsafe').map((p) => [p.name, p.hex] as const))(
    '%s: UnsafePickleError',
    (_name, hex) => {
      const error = captureError(() => loadsHex(hex));
      expect(error).toBeInstanceOf(UnsafePickleError);
      expect(error).toMatchObject({ code: 'unsafe_pickle' });
      expect((error as Error).message).toMatch(/import, build or call|global|call a Python object|refused/);
    },
  );

  it.each(refusedPickles.filter((p) => p.expect === 'invalid').map((p) => [p.name, p.hex] as const))(
    '%s: SerializationError',
    (_name, hex) => {
      const error = captureError(() => loadsHex(hex));
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).not.toBeInstanceOf(UnsafePickleError);
      expect(error).toMatchObject({ code: 'serialization_failed' });
    },
  );

  it('names the opcode and the global it refused', () => {
    const byName = (name: string): string => refusedPickles.find((p) => p.name === name)?.hex ?? '';
    expect(() => loadsHex(byName('os.system via __reduce__, protocol 2'))).toThrow(/"posix system" \(opcode GLOBAL at offset 2\)/);
    expect(() => loadsHex(byName('os.system via __reduce__, protocol 4'))).toThrow(/opcode STACK_GLOBAL at offset \d+/);
    expect(() => loadsHex(byName('BUILD on a dict'))).toThrow(/opcode BUILD/);
  });
});

describe('pickle serializer: writes protocol 4', () => {
  const roundTrip = pickleVectors.filter((vector) => vector.roundTrip !== false);

  it.each(roundTrip.map((vector) => [vector.name, vector] as const))('%s reads back as itself', (_name, vector) => {
    const value = fromTagged(vector.value);
    const bytes = dumps(value);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x80, 0x04]));
    expect(pickleSerializer.loads(bytes)).toEqual(value);
  });

  it('writes lone surrogates as Python does (surrogatepass)', () => {
    // PROTO 4, FRAME of 7 bytes, SHORT_BINUNICODE 4 "a" ED A0 80, STOP
    expect(dumps('a\ud800').toString('hex')).toBe('80049507000000000000008c0461eda0802e');
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Set', new Set()],
  ])('refuses %s with a SerializationError', (_name, value) => {
    expect(() => dumps(value)).toThrow(SerializationError);
  });

  it('refuses a circular reference', () => {
    const circular: unknown[] = [];
    circular.push(circular);
    expect(() => dumps({ circular })).toThrow(/circular reference at the item\.circular\[0\]/);
  });

  it('CPython loads every vector we write to the value it pickled (python3 gen_vectors.py --check)', () => {
    const entries = roundTrip.map((vector) => ({ name: vector.name, hex: dumps(fromTagged(vector.value)).toString('hex') }));
    const results = pythonLoadsCheck(entries);
    expect(results).toEqual(Object.fromEntries(entries.map((entry) => [entry.name, 'ok'])));
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
