// A pickle reader for plain data only. Unpickling is running a small stack program; Python's own
// loader will import and call whatever the program names, which is how a pickle runs code. This
// one knows no imports: it builds str, bytes, int, float, bool, None, list, tuple and dict, and
// refuses every opcode that would import, construct or call anything. The one exception is how
// protocol 2 spells bytes (there is no bytes opcode before protocol 3): `_codecs.encode(s,
// 'latin1')`, and `__builtin__.bytes()` for b''. Those two names, with exactly those arguments, are
// recognised as data, never looked up. (bytearray is read only from protocol 5's BYTEARRAY8;
// protocols 2 to 4 spell it as a call to bytearray(), which is refused like any other call.)
// Decoding is a pure function: on any error nothing is kept.
import { SerializationError, UnsafePickleError } from '../errors.js';
import { OP, OPCODE_NAMES, UNSAFE_OPCODES } from './_pickle-opcodes.js';
import { PickleReader } from './_pickle-reader.js';
import { setOwn } from './_set-own.js';
import { decodeUtf8SurrogatePass } from './_utf8-surrogatepass.js';

const HIGHEST_PROTOCOL = 5;

/** A recognised protocol-2 bytes constructor, waiting for its REDUCE. Never leaves the decoder. */
class BytesConstructor {
  constructor(readonly name: string) {}
}
const BYTES_CONSTRUCTORS = new Set(['_codecs encode', '__builtin__ bytes']);

function opName(op: number): string {
  return OPCODE_NAMES.get(op) ?? `0x${op.toString(16).padStart(2, '0')}`;
}

/** Python ints are little-endian two's complement in LONG1/LONG4; past 2^53 they become bigints. */
function decodeLong(bytes: Buffer): number | bigint {
  if (bytes.length === 0) return 0;
  let value = BigInt(`0x${Buffer.from(bytes).reverse().toString('hex')}`);
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) value -= 1n << BigInt(bytes.length * 8);
  return value >= -BigInt(Number.MAX_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Dict keys become property names the way Python's json.dumps converts them. */
function propertyName(key: unknown, at: number): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'boolean') return key ? 'true' : 'false';
  if (key === null) return 'null';
  throw new SerializationError(`pickle: a dict key is not a str or a number (offset ${at}); such keys are not supported`);
}

/** Decodes one pickle (protocols 2-5, plain data only). Throws; never returns a partial value. */
export function decodePickle(bytes: Buffer): unknown {
  const reader = new PickleReader(bytes);
  // Which arrays are lists and which are tuples: only lists may be appended to, only tuples may be
  // REDUCE arguments. Both are arrays once decoding is done.
  const lists = new WeakSet<unknown[]>();
  const tuples = new WeakSet<unknown[]>();
  const dicts = new WeakSet<object>();
  const memo = new Map<number, unknown>();
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  let opAt = 0;

  const fail = (message: string): never => {
    throw new SerializationError(`pickle: ${message} (opcode ${opName(bytes[opAt] ?? 0)} at offset ${opAt})`);
  };
  const pop = (): unknown => (stack.length > 0 ? stack.pop() : fail('stack underflow'));
  const top = (): unknown => (stack.length > 0 ? stack[stack.length - 1] : fail('stack underflow'));
  const popMark = (): unknown[] => {
    const items = stack;
    stack = metastack.pop() ?? fail('no MARK to pop to');
    return items;
  };
  const plain = (items: unknown[]): unknown[] => {
    for (const item of items) if (item instanceof BytesConstructor) fail(`${item.name} used as a value`);
    return items;
  };
  const makeTuple = (items: unknown[]): unknown[] => {
    tuples.add(plain(items));
    return items;
  };
  const makeList = (items: unknown[]): unknown[] => {
    lists.add(plain(items));
    return items;
  };
  const appendTo = (items: unknown[]): void => {
    const list = top();
    if (!Array.isArray(list) || !lists.has(list)) fail('APPEND to something that is not a list');
    for (const item of plain(items)) (list as unknown[]).push(item);
  };
  const setItems = (target: unknown, items: unknown[]): void => {
    if (typeof target !== 'object' || target === null || !dicts.has(target)) fail('SETITEM on something that is not a dict');
    if (items.length % 2 !== 0) fail('odd number of items for a dict');
    plain(items);
    for (let i = 0; i < items.length; i += 2) {
      setOwn(target as Record<string, unknown>, propertyName(items[i], opAt), items[i + 1]);
    }
  };
  const newDict = (): Record<string, unknown> => {
    const dict: Record<string, unknown> = {};
    dicts.add(dict);
    return dict;
  };
  const reduce = (callable: unknown, args: unknown): Buffer => {
    if (!(callable instanceof BytesConstructor)) {
      throw new UnsafePickleError(`pickle: REDUCE would call a Python object (offset ${opAt}); refused`);
    }
    const argv = Array.isArray(args) && tuples.has(args) ? args : fail('REDUCE arguments are not a tuple');
    const [first] = argv;
    if (callable.name === '_codecs encode') {
      if (argv.length === 2 && typeof first === 'string' && argv[1] === 'latin1' && /^[\0-\xff]*$/.test(first)) {
        return Buffer.from(first, 'latin1');
      }
    } else if (argv.length === 0) {
      return Buffer.alloc(0); // __builtin__.bytes(): protocol 2's b''
    }
    throw new UnsafePickleError(`pickle: ${callable.name} called with arguments other than protocol 2's bytes form (offset ${opAt}); refused`);
  };

  for (;;) {
    opAt = reader.position;
    const op = reader.uint8('an opcode');
    switch (op) {
      case OP.PROTO: {
        const protocol = reader.uint8('PROTO');
        if (protocol > HIGHEST_PROTOCOL) fail(`unsupported protocol ${protocol}`);
        break;
      }
      case OP.FRAME:
        reader.uint64('FRAME'); // frames only group opcodes; the length is a hint
        break;
      case OP.STOP: {
        const [result] = plain([pop()]);
        return result;
      }
      case OP.MARK:
        metastack.push(stack);
        stack = [];
        break;
      case OP.POP:
        if (stack.length > 0) stack.pop();
        else popMark();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        stack.push(top());
        break;
      case OP.NONE:
        stack.push(null);
        break;
      case OP.NEWTRUE:
        stack.push(true);
        break;
      case OP.NEWFALSE:
        stack.push(false);
        break;
      case OP.BININT:
        stack.push(reader.int32('BININT'));
        break;
      case OP.BININT1:
        stack.push(reader.uint8('BININT1'));
        break;
      case OP.BININT2:
        stack.push(reader.uint16('BININT2'));
        break;
      case OP.LONG1:
        stack.push(decodeLong(reader.slice(reader.uint8('LONG1'), 'LONG1')));
        break;
      case OP.LONG4: {
        const size = reader.int32('LONG4');
        if (size < 0) fail('negative byte count');
        stack.push(decodeLong(reader.slice(size, 'LONG4')));
        break;
      }
      case OP.BINFLOAT:
        stack.push(reader.float64BE('BINFLOAT'));
        break;
      case OP.SHORT_BINUNICODE:
        stack.push(decodeUtf8SurrogatePass(reader.slice(reader.uint8('SHORT_BINUNICODE'), 'SHORT_BINUNICODE')));
        break;
      case OP.BINUNICODE:
        stack.push(decodeUtf8SurrogatePass(reader.slice(reader.uint32('BINUNICODE'), 'BINUNICODE')));
        break;
      case OP.BINUNICODE8:
        stack.push(decodeUtf8SurrogatePass(reader.slice(reader.uint64('BINUNICODE8'), 'BINUNICODE8')));
        break;
      // Bytes are copied out of the payload so the item does not pin the whole reply buffer.
      case OP.SHORT_BINBYTES:
        stack.push(Buffer.from(reader.slice(reader.uint8('SHORT_BINBYTES'), 'SHORT_BINBYTES')));
        break;
      case OP.BINBYTES:
        stack.push(Buffer.from(reader.slice(reader.uint32('BINBYTES'), 'BINBYTES')));
        break;
      case OP.BINBYTES8:
        stack.push(Buffer.from(reader.slice(reader.uint64('BINBYTES8'), 'BINBYTES8')));
        break;
      case OP.BYTEARRAY8:
        stack.push(Buffer.from(reader.slice(reader.uint64('BYTEARRAY8'), 'BYTEARRAY8')));
        break;
      case OP.EMPTY_LIST:
        stack.push(makeList([]));
        break;
      case OP.LIST: {
        const items = popMark(); // before touching `stack`: popMark replaces it
        stack.push(makeList(items));
        break;
      }
      case OP.APPEND:
        appendTo([pop()]);
        break;
      case OP.APPENDS:
        appendTo(popMark());
        break;
      case OP.EMPTY_TUPLE:
        stack.push(makeTuple([]));
        break;
      case OP.TUPLE: {
        const items = popMark();
        stack.push(makeTuple(items));
        break;
      }
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const size = op - OP.TUPLE1 + 1;
        if (stack.length < size) fail('stack underflow');
        stack.push(makeTuple(stack.splice(stack.length - size, size)));
        break;
      }
      case OP.EMPTY_DICT:
        stack.push(newDict());
        break;
      case OP.DICT: {
        const items = popMark();
        const dict = newDict();
        setItems(dict, items);
        stack.push(dict);
        break;
      }
      case OP.SETITEM: {
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case OP.BINPUT:
        memo.set(reader.uint8('BINPUT'), top());
        break;
      case OP.LONG_BINPUT:
        memo.set(reader.uint32('LONG_BINPUT'), top());
        break;
      case OP.MEMOIZE:
        memo.set(memo.size, top());
        break;
      case OP.BINGET:
      case OP.LONG_BINGET: {
        const index = op === OP.BINGET ? reader.uint8('BINGET') : reader.uint32('LONG_BINGET');
        if (!memo.has(index)) fail(`memo entry ${index} was never stored`);
        stack.push(memo.get(index));
        break;
      }
      case OP.GLOBAL: {
        const name = `${reader.line('GLOBAL module')} ${reader.line('GLOBAL name')}`;
        if (!BYTES_CONSTRUCTORS.has(name)) {
          throw new UnsafePickleError(
            `pickle: refers to the Python global ${JSON.stringify(name.slice(0, 120))} (opcode GLOBAL at offset ${opAt}); only plain data is accepted`,
          );
        }
        stack.push(new BytesConstructor(name));
        break;
      }
      case OP.REDUCE: {
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      }
      default:
        if (UNSAFE_OPCODES.has(op)) {
          throw new UnsafePickleError(
            `pickle: opcode ${opName(op)} at offset ${opAt} would import, build or call a Python object; only plain data is accepted`,
          );
        }
        fail('unsupported opcode: only str, bytes, int, float, bool, None, list, tuple and dict of protocols 2 to 5 are read');
    }
  }
}
