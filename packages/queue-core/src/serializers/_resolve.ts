import { InvalidArgumentError, QueueError, SerializationError } from '../errors.js';
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

/** Runs a serializer's loads; our own errors pass through, a user serializer's are wrapped. */
export function loadsItem(serializer: Serializer, bytes: Buffer): unknown {
  try {
    return serializer.loads(bytes);
  } catch (error) {
    if (error instanceof QueueError) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new SerializationError(`an item could not be decoded: ${detail}`, { cause: error });
  }
}
