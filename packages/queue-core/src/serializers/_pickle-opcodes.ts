// Pickle opcodes (CPython Lib/pickle.py), by byte value. Only the ones this package reads or
// writes are named; OPCODE_NAMES also names the refused ones so an error can say what it saw.

export const OP = {
  MARK: 0x28, // (
  STOP: 0x2e, // .
  POP: 0x30, // 0
  POP_MARK: 0x31, // 1
  DUP: 0x32, // 2
  BINFLOAT: 0x47, // G
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  NONE: 0x4e, // N
  BINUNICODE: 0x58, // X
  BINBYTES: 0x42, // B
  SHORT_BINBYTES: 0x43, // C
  REDUCE: 0x52, // R
  EMPTY_LIST: 0x5d, // ]
  APPEND: 0x61, // a
  GLOBAL: 0x63, // c
  DICT: 0x64, // d
  APPENDS: 0x65, // e
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  LIST: 0x6c, // l
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  SETITEM: 0x73, // s
  TUPLE: 0x74, // t
  SETITEMS: 0x75, // u
  EMPTY_DICT: 0x7d, // }
  EMPTY_TUPLE: 0x29, // )
  PROTO: 0x80,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

/** Every opcode of protocols 0-5, for messages about what was refused. */
export const OPCODE_NAMES: ReadonlyMap<number, string> = new Map([
  ...Object.entries(OP).map(([name, code]) => [code, name] as [number, string]),
  [0x46, 'FLOAT'], [0x49, 'INT'], [0x4c, 'LONG'], [0x53, 'STRING'], [0x54, 'BINSTRING'],
  [0x55, 'SHORT_BINSTRING'], [0x56, 'UNICODE'], [0x67, 'GET'], [0x70, 'PUT'],
  [0x50, 'PERSID'], [0x51, 'BINPERSID'], [0x62, 'BUILD'], [0x69, 'INST'], [0x6f, 'OBJ'],
  [0x81, 'NEWOBJ'], [0x82, 'EXT1'], [0x83, 'EXT2'], [0x84, 'EXT4'], [0x8f, 'EMPTY_SET'],
  [0x90, 'ADDITEMS'], [0x91, 'FROZENSET'], [0x92, 'NEWOBJ_EX'], [0x93, 'STACK_GLOBAL'],
  [0x97, 'NEXT_BUFFER'], [0x98, 'READONLY_BUFFER'],
]);

/** Opcodes that would import, construct or call something: refused as unsafe. */
export const UNSAFE_OPCODES: ReadonlySet<number> = new Set([
  0x50, 0x51, 0x62, 0x69, 0x6f, 0x81, 0x82, 0x83, 0x84, 0x92, 0x93,
]);
