import { pythonJsonDumps } from './_python-json-dumps.js';
import { pythonJsonLoads } from './_python-json-loads.js';
import type { Serializer } from './serializer.js';

/**
 * JSON, byte for byte as Python's `json.dumps` (default options) writes it, and read as
 * `json.loads` reads it. The default serializer of `HotQueue`, because decoding it can never run
 * code (Python hotqueue's default is pickle: see {@link pickleSerializer}).
 *
 * @remarks
 * Writing: `", "` and `": "` separators; every character outside printable ASCII as `\uXXXX`
 * (lower-case hex; a character outside the BMP as its surrogate pair); floats in Python's `repr`
 * form (`1e+16`, `1.5e-07`, `0.0001`); `NaN`, `Infinity` and `-Infinity` as Python writes them
 * (Python's `json.loads` reads them back, strict JSON parsers do not).
 * Values: null, booleans, strings, numbers, bigints, arrays and plain objects. `undefined`, functions,
 * symbols, class instances (Date, Map, Set, Buffer...) and circular references are refused with a
 * `SerializationError`: nothing is dropped or converted silently, and no `toJSON()` is called.
 *
 * Where JavaScript cannot say what Python would know, the bytes differ from Python's:
 *
 * - A number that is a safe integer is written as an int: `1.0` and `1` are the same JavaScript
 *   value, so a Python float `1.0` comes back and goes out as `1`. `-0` is written `-0.0`, and a
 *   number past 2^53 is written as the float it is (`1e+16`, `9007199254740992.0`); use a bigint
 *   for a big int.
 *
 * - Object keys are written in JavaScript's property order, which puts integer-like keys
 *   (`"2"`, `"10"`) first in ascending order, whatever order they were inserted in. Python keeps
 *   insertion order. Other keys keep their insertion order.
 *
 * Reading: integers past 2^53 become bigints, every other number a number (so `1.0` reads as `1`);
 * `NaN`/`Infinity` are accepted; the bytes must be UTF-8.
 * @public
 */
export const jsonSerializer: Serializer = {
  dumps: pythonJsonDumps,
  loads: pythonJsonLoads,
};
