import type { JobStatus } from './job-types.js';

/**
 * Base class of every error `@hotq/jobs-store` throws on purpose. `code` is stable and safe to branch
 * on; `message` says what was wrong in words a user can act on.
 * @public
 */
export class JobsStoreError extends Error {
  /** A stable, machine-readable code: `invalid_request`, `not_found` or `conflict`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * An input was missing, of the wrong type, out of range or too large. Nothing was written to Redis.
 * The message starts with the field's name, then the rule: `params: must be a JSON object ...`.
 * @public
 */
export class JobInputError extends JobsStoreError {
  /** The offending field, e.g. `type`, `params`, `delayMs`, `cursor`, `options.retentionMs`. */
  readonly field: string;

  constructor(field: string, rule: string) {
    super('invalid_request', `${field}: ${rule}`);
    this.field = field;
  }
}

/**
 * No job has this id (it never existed, or its retention ended).
 * @public
 */
export class JobNotFoundError extends JobsStoreError {
  /** The id asked for. */
  readonly id: string;

  constructor(id: string) {
    super('not_found', `job ${id} does not exist (or its retention ended)`);
    this.id = id;
  }
}

/**
 * The job is not in a status that allows what was asked (an illegal transition, or the result of a job
 * that did not succeed). Nothing was changed.
 * @public
 */
export class JobStateError extends JobsStoreError {
  /** The job's id. */
  readonly id: string;
  /** The job's status when the request was refused. */
  readonly status: JobStatus;

  constructor(id: string, status: JobStatus, message: string) {
    super('conflict', message);
    this.id = id;
    this.status = status;
  }
}
