/**
 * The stable error codes of the hotq HTTP API. Every error answer has the body
 * `{ "error": { "code", "message", "details"? } }` with one of these codes.
 *
 * - `invalid_request` (400): a field, parameter or the body is malformed; the message names the field and the rule.
 * - `unauthorized` (401): a token is required and was missing or wrong.
 * - `forbidden` (403): the read-only token was used for a write.
 * - `not_found` (404): no such job, or no such route.
 * - `conflict` (409): the job is not in a state that allows the request (details carry its status).
 * - `payload_too_large` (413): the body is over the limit.
 * - `unsupported_media_type` (415): the body is not JSON.
 * - `queue_full` (429): the queue holds its maximum of waiting jobs (`maxQueued`); nothing was added. Retry after the `Retry-After` seconds.
 * - `redis_unavailable` (503): Redis did not answer; nothing can be promised, try again.
 * - `not_replicated` (503): the API waits for replicas (`waitReplicas`) and fewer confirmed the job in time. It was written on the
 *   master and may run, but a failover now could lose it: submit again with the same `idempotencyKey` (details: `ids`, `acknowledged`, `wanted`).
 * - `internal_error` (500): a fault of the server itself, never of the request; it is logged.
 * @public
 */
export type ApiErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'queue_full'
  | 'redis_unavailable'
  | 'not_replicated'
  | 'internal_error';

/**
 * The body of every error answer.
 * @public
 */
export interface ApiErrorBody {
  /** What went wrong. */
  error: {
    /** A stable code to branch on. */
    code: ApiErrorCode;
    /** A sentence a person can act on: which field, and what was expected. */
    message: string;
    /** More structure where it helps: the offending fields, or a job's status. */
    details?: unknown;
  };
}
