import { SerializationError, describe } from '../errors.js';
import type { Serializer } from './serializer.js';

/**
 * Stores items as they are, like Python hotqueue's `serializer=None`: a string as its UTF-8 bytes,
 * a Buffer or Uint8Array byte for byte. Anything else is refused (redis-py would store `str(value)`,
 * which JavaScript cannot reproduce). Reads always give a Buffer, since the bytes may not be text.
 * @public
 */
export const rawSerializer: Serializer = {
  dumps(value: unknown): string | Buffer {
    if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    throw new SerializationError(`the raw serializer stores only strings and bytes, not ${describe(value)}`);
  },
  loads(bytes: Buffer): Buffer {
    return bytes;
  },
};
