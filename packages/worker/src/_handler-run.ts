// Running one handler call and describing how it ended, in a form that crosses a thread boundary.
// Shared by the in-process executor and the handler threads, so both behave the same.
import type { Handler, HandlerContext, HandlerJob, ProgressValue } from './handler-types.js';

/** An error as it is recorded and as it crosses from a thread: plain data. */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly nonRetryable: boolean;
}

/** How a handler call ended. */
export type RunOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: ErrorInfo };

/** Why a worker stops a handler: the `code` of its signal's reason. */
export type StopCode = 'timeout' | 'cancelled' | 'lease_lost' | 'shutdown';

const STOP_MESSAGES: Record<StopCode, string> = {
  timeout: 'the job ran out of time',
  cancelled: 'the job was cancelled',
  lease_lost: 'this worker lost the job (its lease expired or was taken over)',
  shutdown: 'the worker is shutting down',
};

/** The reason a handler's signal is aborted with: an AbortError carrying a `code`. */
export function stopReason(code: StopCode): Error {
  const error = new Error(STOP_MESSAGES[code]);
  error.name = 'AbortError';
  return Object.assign(error, { code });
}

const MAX_MESSAGE = 2_000;
// Codes as jobs-store accepts them.
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;
/** Progress objects are limited to 1 KiB of JSON by jobs-store. */
const MAX_PROGRESS_BYTES = 1024;

/** Describes anything thrown: message (bounded), a usable `code`, and whether to retry. */
export function describeError(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error || (typeof thrown === 'object' && thrown !== null && 'message' in thrown)) {
    const error = thrown as { name?: unknown; message?: unknown; code?: unknown; nonRetryable?: unknown };
    const message = typeof error.message === 'string' && error.message !== '' ? error.message : 'the handler failed without a message';
    const code = typeof error.code === 'string' && CODE.test(error.code) ? error.code : undefined;
    return {
      name: typeof error.name === 'string' ? error.name : 'Error',
      message: message.slice(0, MAX_MESSAGE),
      ...(code === undefined ? {} : { code }),
      nonRetryable: error.nonRetryable === true,
    };
  }
  return { name: 'Error', message: `the handler threw ${String(thrown).slice(0, MAX_MESSAGE - 20)}`, nonRetryable: false };
}

/** Checks a progress value before it is sent anywhere; throws a TypeError naming the problem. */
export function checkProgress(value: unknown): ProgressValue {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= 100) return value;
    throw new TypeError(`progress must be a number from 0 to 100 or a plain object (received ${value})`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype === Object.prototype || prototype === null) {
      let text: string;
      try {
        text = JSON.stringify(value);
      } catch (error) {
        throw new TypeError(`progress must be JSON-serializable (${(error as Error).message})`);
      }
      const bytes = Buffer.byteLength(text);
      if (bytes > MAX_PROGRESS_BYTES) throw new TypeError(`progress objects are limited to ${MAX_PROGRESS_BYTES} bytes of JSON (received ${bytes})`);
      return value as Record<string, unknown>;
    }
  }
  throw new TypeError(`progress must be a number from 0 to 100 or a plain object (received ${Array.isArray(value) ? 'an array' : typeof value})`);
}

/** Calls `handler` and describes the outcome; never throws. */
export async function runHandler(handler: Handler, job: HandlerJob, context: HandlerContext): Promise<RunOutcome> {
  try {
    const value = await handler(job, context);
    return { ok: true, value: value === undefined ? null : value };
  } catch (error) {
    return { ok: false, error: describeError(error) };
  }
}
