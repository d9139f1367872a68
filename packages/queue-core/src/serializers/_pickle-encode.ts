// Writes plain data as a protocol 4 pickle, which every Python since 3.4 loads (and Python 3.8+
// writes by default). No memo: a value reached twice is written twice, and a cycle is refused.
import { SerializationError, describe } from '../errors.js';
import { OP } from './_pickle-opcodes.js';
import { encodeUtf8SurrogatePass } from './_utf8-surrogatepass.js';

const PROTOCOL = 4;
/** Python's pickler writes APPENDS/SETITEMS in batches of this size; so do we. */
const BATCH = 1000;
/** Deeper than this is refused (CPython's own pickler gives up near its recursion limit, 1000). */
const MAX_DEPTH = 1000;

class ByteSink {
  private readonly chunks: Buffer[] = [];
  length = 0;

  op(...codes: number[]): void {
    this.push(Buffer.from(codes));
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  sized(short: number, long: number, huge: number, payload: Buffer): void {
    if (payload.length < 256) {
      this.op(short, payload.length);
    } else if (payload.length <= 0xffffffff) {
      const header = Buffer.alloc(5);
      header[0] = long;
      header.writeUInt32LE(payload.length, 1);
      this.push(header);
    } else {
      const header = Buffer.alloc(9);
      header[0] = huge;
      header.writeBigUInt64LE(BigInt(payload.length), 1);
      this.push(header);
    }
    this.push(payload);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

/** An int as Python writes it: BININT1/BININT2/BININT when it fits, else LONG1/LONG4. */
function writeInt(sink: ByteSink, value: bigint): void {
  if (value >= 0n && value <= 0xffn) return sink.op(OP.BININT1, Number(value));
  if (value >= 0n && value <= 0xffffn) return sink.op(OP.BININT2, Number(value & 0xffn), Number(value >> 8n));
  if (value >= -(2n ** 31n) && value < 2n ** 31n) {
    const bytes = Buffer.alloc(5);
    bytes[0] = OP.BININT;
    bytes.writeInt32LE(Number(value), 1);
    return sink.push(bytes);
  }
  // Minimal little-endian two's complement.
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(rest & 0xffn);
    bytes.push(byte);
    rest >>= 8n; // arithmetic shift: -1 stays -1
    if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) break;
  }
  if (bytes.length < 256) return sink.push(Buffer.from([OP.LONG1, bytes.length, ...bytes]));
  const header = Buffer.alloc(5);
  header[0] = OP.LONG4;
  header.writeInt32LE(bytes.length, 1);
  sink.push(header);
  sink.push(Buffer.from(bytes));
}

function writeFloat(sink: ByteSink, value: number): void {
  const bytes = Buffer.alloc(9);
  bytes[0] = OP.BINFLOAT;
  bytes.writeDoubleBE(value, 1);
  sink.push(bytes);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Encodes `value` as a protocol 4 pickle; throws SerializationError naming the path. */
export function encodePickle(value: unknown): Buffer {
  const body = new ByteSink();
  const ancestors = new Set<object>();

  const write = (item: unknown, path: string, depth: number): void => {
    switch (typeof item) {
      case 'string':
        return body.sized(OP.SHORT_BINUNICODE, OP.BINUNICODE, OP.BINUNICODE8, encodeUtf8SurrogatePass(item));
      case 'boolean':
        return body.op(item ? OP.NEWTRUE : OP.NEWFALSE);
      case 'bigint':
        return writeInt(body, item);
      case 'number':
        // Same rule as the json serializer: a safe integer is an int, any other number a float.
        return Number.isSafeInteger(item) && !Object.is(item, -0) ? writeInt(body, BigInt(item)) : writeFloat(body, item);
      case 'object':
        break;
      default:
        throw new SerializationError(`pickle cannot encode ${describe(item)} at ${path}`);
    }
    if (item === null) return body.op(OP.NONE);
    if (item instanceof Uint8Array) {
      const bytes = Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      return body.sized(OP.SHORT_BINBYTES, OP.BINBYTES, OP.BINBYTES8, bytes);
    }
    if (depth >= MAX_DEPTH) throw new SerializationError(`pickle refuses nesting deeper than ${MAX_DEPTH} at ${path}`);
    if (ancestors.has(item)) throw new SerializationError(`pickle cannot encode a circular reference at ${path}`);
    ancestors.add(item);
    try {
      if (Array.isArray(item)) {
        body.op(OP.EMPTY_LIST);
        for (let start = 0; start < item.length; start += BATCH) {
          body.op(OP.MARK);
          item.slice(start, start + BATCH).forEach((element, offset) => write(element, `${path}[${start + offset}]`, depth + 1));
          body.op(OP.APPENDS);
        }
        return;
      }
      if (!isPlainObject(item)) throw new SerializationError(`pickle cannot encode ${describe(item)} at ${path}`);
      const keys = Object.keys(item);
      body.op(OP.EMPTY_DICT);
      for (let start = 0; start < keys.length; start += BATCH) {
        body.op(OP.MARK);
        for (const key of keys.slice(start, start + BATCH)) {
          write(key, path, depth + 1);
          write(item[key], `${path}.${key}`, depth + 1);
        }
        body.op(OP.SETITEMS);
      }
    } finally {
      ancestors.delete(item);
    }
  };

  write(value, 'the item', 0);
  body.op(OP.STOP);
  // One FRAME around the whole body, as Python frames a small pickle; loaders treat it as a hint.
  const header = Buffer.alloc(11);
  header[0] = OP.PROTO;
  header[1] = PROTOCOL;
  header[2] = OP.FRAME;
  header.writeBigUInt64LE(BigInt(body.length), 3);
  return Buffer.concat([header, body.toBuffer()]);
}
