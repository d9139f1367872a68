/**
 * Thrown by a handler to fail its job at once, whatever attempts are left: bad input, a missing
 * resource, anything that would fail the same way on every retry.
 *
 * The worker recognises it by its `nonRetryable` flag, not only by class, so an error built in another
 * copy of this package (or in a handlers module that does not import it) works too:
 * `Object.assign(new Error('no such user'), { nonRetryable: true, code: 'no_user' })`.
 * @public
 */
export class NonRetryableError extends Error {
  /** Always true: what the worker looks at. */
  readonly nonRetryable = true;
  /** A stable code recorded with the job's error (`error.code`). Default `non_retryable`. */
  readonly code: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NonRetryableError';
    this.code = options.code ?? 'non_retryable';
  }
}

/**
 * A worker was configured wrongly (an option out of range, a handlers module that cannot be loaded)
 * or used wrongly (started twice). Nothing was sent to Redis. `code` is stable; `message` names the
 * input and what was expected.
 * @public
 */
export class WorkerError extends Error {
  /** `invalid_option`, `handlers_unloadable` or `invalid_state`. */
  readonly code: 'invalid_option' | 'handlers_unloadable' | 'invalid_state';

  constructor(code: WorkerError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerError';
    this.code = code;
  }
}
