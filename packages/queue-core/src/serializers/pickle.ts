import { decodePickle } from './_pickle-decode.js';
import { encodePickle } from './_pickle-encode.js';
import type { Serializer } from './serializer.js';

/**
 * Python pickle, limited to plain data, so an unmodified Python `hotqueue` producer (whose default
 * serializer is pickle) and a TypeScript consumer share a queue, and the reverse.
 *
 * @remarks
 * Reading (protocols 2 to 5): str becomes a string, bytes a Buffer, int a number
 * (a bigint outside ±(2^53 - 1)), float a number, bool a boolean, None null, list and tuple an
 * array, dict a plain object. Dict keys that are not str are converted as Python's `json.dumps`
 * converts them (`1` becomes `"1"`, `True` `"true"`, `None` `"null"`); any other key type is refused.
 * Protocol 2 has no bytes opcode and spells bytes as calls (`_codecs.encode(s, 'latin1')`, and
 * `__builtin__.bytes()` for an empty one): those two forms, and nothing else of the kind, are
 * recognised as bytes. A bytearray is read as a Buffer from protocol 5 (which has an opcode for
 * it); protocols 2 to 4 spell it as a call to `bytearray()`, which is refused like any call.
 * Protocols 0 and 1 (text opcodes), sets and out-of-band buffers are refused with a
 * `SerializationError`.
 *
 * Safety: any opcode that would import, build or call a Python object (GLOBAL, STACK_GLOBAL,
 * REDUCE, INST, OBJ, NEWOBJ, NEWOBJ_EX, BUILD, EXT1/2/4, PERSID, BINPERSID) makes the whole item
 * fail with an `UnsafePickleError`; no part of it is returned. Loading a pickle in Python runs
 * whatever it names, so never let Python consumers read a queue that untrusted producers write.
 *
 * Writing: protocol 4 (read by Python 3.4 and later). Strings become str, Buffers and Uint8Arrays
 * bytes, bigints and safe integers int, other numbers float, arrays list, plain objects dict with
 * str keys. Anything else (undefined, Date, Map, class instances, cycles) is refused with a
 * `SerializationError`.
 * @public
 */
export const pickleSerializer: Serializer = {
  dumps: encodePickle,
  loads: decodePickle,
};
