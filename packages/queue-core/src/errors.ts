/**
 * Base class of every error hotq's queue primitives throw on purpose. `code` is stable and safe to
 * branch on; `message` says what was wrong in words a user can act on.
 * @public
 */
export class QueueError extends Error {
  /** A stable, machine-readable code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An argument was missing, of the wrong type or out of range. Nothing was written to Redis.
 * @public
 */
export class InvalidArgumentError extends QueueError {
  /** The name of the offending argument, e.g. `timeout` or `options.delayMs`. */
  readonly argument: string;

  constructor(argument: string, expected: string, received?: unknown) {
    const got = arguments.length >= 3 ? ` (received ${describe(received)})` : '';
    super('invalid_argument', `${argument} must be ${expected}${got}`);
    this.argument = argument;
  }
}

/**
 * Redis did not answer within the allowed time, or the connection is down.
 * @public
 */
export class RedisUnavailableError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('redis_unavailable', message, options);
  }
}

/**
 * A value could not be encoded, or bytes could not be decoded, by a serializer.
 * @public
 */
export class SerializationError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('serialization_failed', message, options);
  }
}

/** A short, safe description of a received value for error messages (never a whole payload). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`;
}

/**
 * A pickle asked to import, build or call a Python object (opcodes such as GLOBAL, STACK_GLOBAL,
 * REDUCE, INST, OBJ, NEWOBJ, BUILD), which is how a pickle runs code when Python loads it. The
 * pickle serializer refuses the whole item; nothing of it is returned.
 * @public
 */
export class UnsafePickleError extends SerializationError {
  /** Always `unsafe_pickle`, so a caller can tell a hostile payload from a damaged one. */
  override readonly code: string = 'unsafe_pickle';
}
