/**
 * Turns the items of a {@link HotQueue} into the bytes stored in Redis and back.
 *
 * @remarks
 * `dumps` throws (preferably a `SerializationError`) for a value it cannot represent; the queue
 * then writes nothing. `loads` gets the bytes exactly as Redis holds them. Python `hotqueue`
 * takes any object with `dumps` and `loads`; so does `HotQueue`.
 * @public
 */
export interface Serializer {
  /** Encodes one item. A string is stored as its UTF-8 bytes. */
  dumps(value: unknown): string | Buffer;
  /** Decodes the bytes of one item. */
  loads(bytes: Buffer): unknown;
}

/**
 * The serializers built in: `json` ({@link jsonSerializer}), `pickle` ({@link pickleSerializer}) and
 * `raw` ({@link rawSerializer}).
 * @public
 */
export type SerializerName = 'json' | 'pickle' | 'raw';
