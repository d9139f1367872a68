// Messages between the worker's main thread and its handler threads (structured-clone data only).
import type { DependencyOutcome } from '@hotq/jobs-store';
import type { HandlerJob } from './handler-types.js';
import type { RunOutcome, StopCode } from './_handler-run.js';

export interface ThreadData {
  /** file: URL of the handlers module, if any. */
  readonly handlersModule: string | undefined;
}

export type ToThread =
  | { readonly kind: 'run'; readonly job: HandlerJob }
  | { readonly kind: 'abort'; readonly id: string; readonly code: StopCode }
  /** A progress update was written (or failed: `error`). */
  | { readonly kind: 'progress-done'; readonly seq: number; readonly error: string | undefined }
  /** The dependencies asked for were read (or could not be: `error`). */
  | { readonly kind: 'dependencies-done'; readonly seq: number; readonly outcomes: DependencyOutcome[]; readonly error: string | undefined };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export type FromThread =
  | { readonly kind: 'ready'; readonly types: string[] }
  | { readonly kind: 'load-failed'; readonly message: string }
  | { readonly kind: 'done'; readonly id: string; readonly outcome: RunOutcome }
  | { readonly kind: 'progress'; readonly id: string; readonly seq: number; readonly value: unknown }
  | { readonly kind: 'dependencies'; readonly id: string; readonly seq: number }
  | { readonly kind: 'log'; readonly id: string; readonly level: LogLevel; readonly fields: Record<string, unknown> | undefined; readonly message: string | undefined };
