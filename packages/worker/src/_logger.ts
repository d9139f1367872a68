import { pino, type Logger } from 'pino';
import { describeError } from './_handler-run.js';

/** Log levels the worker accepts (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The worker's logger: structured JSON lines (pino), to stdout for the bin and to stderr for a
 * library user who did not pass one. Payloads, results and secrets are never logged; a job's
 * params are redacted should anybody log them through the job's logger.
 */
export function createLogger(level: string, destination: 1 | 2 = 1): Logger {
  return pino(
    {
      name: 'hotq-worker',
      level,
      redact: { paths: ['params', '*.params', 'result', '*.result', 'password', '*.password'], censor: '[redacted]' },
    },
    pino.destination({ dest: destination, sync: true }),
  );
}

/** An error as log fields: its name, message and code as {@link describeError} reads them (no stack, no payload). */
export function errorFields(error: unknown): { err: { name: string; message: string; code?: string } } {
  const info = describeError(error);
  return { err: { name: info.name, message: info.message, ...(info.code ? { code: info.code } : {}) } };
}
