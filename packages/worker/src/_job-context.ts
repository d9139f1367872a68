import type { DependencyOutcome } from '@hotq/jobs-store';
import type { HandlerContext, JobLogger, ProgressValue } from './handler-types.js';
import type { HeldJob } from './_held-job.js';

/** Writes a progress update of a held job (the worker's, bound once). */
export type ProgressWriter = (job: HeldJob, value: unknown) => Promise<void>;

/** Reads what a job's dependencies came to (the worker's, bound once). */
export type DependencyReader = (id: string) => Promise<DependencyOutcome[]>;

/**
 * The {@link HandlerContext} a handler gets. `signal`, `log` and `progress` are getters so that what
 * they stand for is made only when a handler asks for it (see {@link HeldJob}). They are also own,
 * enumerable properties of each context, so a handler sees a plain object: it can destructure them
 * (`{ signal, progress }`, `progress` comes bound) or spread them (`{ ...ctx }`). The job is kept in a
 * private field, out of the handler's reach.
 */
export class JobContext implements HandlerContext {
  /** Which attempt this is, starting at 1. */
  readonly attempt: number;
  readonly #job: HeldJob;
  readonly #write: ProgressWriter;
  readonly #readDependencies: DependencyReader;
  #progress: ((value: ProgressValue) => Promise<void>) | undefined;

  constructor(job: HeldJob, write: ProgressWriter, readDependencies: DependencyReader) {
    this.#job = job;
    this.#write = write;
    this.#readDependencies = readDependencies;
    this.attempt = job.message.attempt;
    Object.defineProperties(this, OWN_GETTERS);
  }

  /** Aborted when the handler should stop (made on first use). */
  get signal(): AbortSignal {
    return this.#job.signal;
  }

  /** A logger tagged with the job (made on first use). */
  get log(): JobLogger {
    return this.#job.log;
  }

  /** Records progress on the job; bound, so it can be passed around on its own. */
  get progress(): (value: ProgressValue) => Promise<void> {
    return (this.#progress ??= (value) => this.#write(this.#job, value));
  }

  /** What the job's dependencies came to; bound, so it can be passed around on its own. */
  get dependencies(): () => Promise<DependencyOutcome[]> {
    return () => this.#readDependencies(this.#job.id);
  }
}

// The class's getters, copied onto each instance as enumerable accessors (see above).
const prototypeGetters = Object.getOwnPropertyDescriptors(JobContext.prototype);
const OWN_GETTERS: PropertyDescriptorMap = Object.fromEntries(
  (['signal', 'log', 'progress', 'dependencies'] as const).map((name) => [name, { get: prototypeGetters[name]?.get, enumerable: true, configurable: false }]),
);
