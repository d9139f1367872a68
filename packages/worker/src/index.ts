/**
 * The hotq consumer runtime and the hotq-worker command: takes jobs from a queue, runs the handler
 * for each job's type, records progress and outcome, and never loses or doubles a job.
 * @packageDocumentation
 */
export { createWorker } from './worker.js';
export type { Isolation, StopOptions, Worker, WorkerOptions, WorkerState } from './worker-types.js';
export type { Handler, HandlerContext, HandlerJob, Handlers, JobLogMethod, JobLogger, ProgressValue } from './handler-types.js';
export { NonRetryableError, WorkerError } from './errors.js';
export { demoHandlers } from './demo-handlers.js';
