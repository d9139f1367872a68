import type { HandlerContext, HandlerJob, Handlers } from './handler-types.js';
import { runHandler, type RunOutcome } from './_handler-run.js';

/** Runs handlers: in the main thread or in a pool of threads. */
export interface Executor {
  /** The job types served (known after start). */
  readonly types: ReadonlySet<string>;
  start(): Promise<void>;
  /**
   * Runs one job and settles with its outcome when the handler ends; never rejects. `context` is what
   * the handler gets (its signal aborts when the job is stopped). An executor that can end a handler
   * by force (threads) also settles, with an `abandoned` error, once it has done so.
   */
  run(job: HandlerJob, context: HandlerContext): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** Handlers in the worker's own thread. A handler that ignores its signal cannot be stopped here. */
export class InlineExecutor implements Executor {
  readonly types: ReadonlySet<string>;

  constructor(private readonly handlers: Handlers) {
    this.types = new Set(Object.keys(handlers));
  }

  async start(): Promise<void> {}

  run(job: HandlerJob, context: HandlerContext): Promise<RunOutcome> {
    return runHandler(this.handlers[job.type] as Handlers[string], job, context);
  }

  async close(): Promise<void> {}
}
