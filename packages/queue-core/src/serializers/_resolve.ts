import { InvalidArgumentError, QueueError, SerializationError, UnsafePickleError } from '../errors.js';
import { likelyCause } from './_sniff.js';
import { jsonSerializer } from './json.js';
import { pickleSerializer } from './pickle.js';
import { rawSerializer } from './raw.js';
import type { Serializer, SerializerName } from './serializer.js';

const BUILT_IN: Record<SerializerName, Serializer> = { json: jsonSerializer, pickle: pickleSerializer, raw: rawSerializer };

/** The serializer an option names, or the caller's own; anything else is an InvalidArgumentError. */
export function resolveSerializer(option: unknown): Serializer {
  if (option === undefined) return jsonSerializer;
  if (typeof option === 'string' && Object.hasOwn(BUILT_IN, option)) return BUILT_IN[option as SerializerName];
  const candidate = option as Partial<Serializer> | null;
  if (typeof candidate === 'object' && candidate !== null && typeof candidate.dumps === 'function' && typeof candidate.loads === 'function') {
    return candidate as Serializer;
  }
  throw new InvalidArgumentError('options.serializer', '"json", "pickle", "raw" or an object with dumps() and loads()', option);
}

/** Runs a serializer's dumps and checks what it gave; a user serializer's own error is wrapped. */
export function dumpsItem(serializer: Serializer, item: unknown, index: number): string | Buffer {
  let payload: unknown;
  try {
    payload = serializer.dumps(item);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`items[${index}] could not be encoded: ${detail}`, { cause: error });
  }
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new SerializationError(`items[${index}]: the serializer's dumps() returned neither a string nor a Buffer`);
}

/**
 * Runs a serializer's loads. A failure becomes a SerializationError (an UnsafePickleError stays one)
 * that names the likely cause and carries the bytes: the item has left Redis, and the error is the
 * caller's only chance to keep it.
 */
export function loadsItem(serializer: Serializer, bytes: Buffer): unknown {
  try {
    return serializer.loads(bytes);
  } catch (error) {
    const ours = error instanceof QueueError;
    const detail = error instanceof Error ? error.message : String(error);
    const reading = serializer === jsonSerializer ? 'json' : serializer === pickleSerializer ? 'pickle' : 'custom';
    const what = (ours ? detail : `an item could not be decoded: ${detail}`).replace(/\.$/, '');
    const message = `${what}.${likelyCause(bytes, reading)} ${howToKeep(bytes)}`;
    if (error instanceof UnsafePickleError) throw new UnsafePickleError(message, { cause: error, bytes });
    throw new SerializationError(message, { cause: error, bytes });
  }
}

/** How an undecodable item can still be kept, for the end of the error message. */
function howToKeep(bytes: Buffer): string {
  return `The item has left the queue; the error's \`bytes\` hold it (${bytes.length} bytes) if you want to keep it.`;
}
