import type { BenchRedis } from './bench-redis.js';
import type { Plan } from './plan.js';
import type { Note } from './results.js';

const started = Date.now();

/** What every phase of one run shares: the plan, the server, the log, and the notes it collects. */
export class RunContext {
  readonly skipped: Note[] = [];
  readonly errors: Note[] = [];

  constructor(
    readonly plan: Plan,
    readonly redis: BenchRedis,
  ) {}

  /** Seconds since the process started. */
  static elapsedSeconds(): number {
    return (Date.now() - started) / 1000;
  }

  /** One progress line, stamped with the seconds since the start. */
  log(text: string): void {
    process.stdout.write(`[${RunContext.elapsedSeconds().toFixed(1).padStart(6)}s] ${text}\n`);
  }

  /** A phase (or one system's part of it) that cannot run: a package has not landed, or the system lacks the feature. */
  skip(note: Note): void {
    this.skipped.push(note);
    this.log(`SKIPPED ${describe(note)}`);
  }

  /** A phase that failed: its figures are left out, never made up, and the run exits 1. */
  fail(note: Note): void {
    this.errors.push(note);
    this.log(`FAILED ${describe(note)}`);
  }
}

/** `phase (system): reason`. */
export function describe(note: Note): string {
  return `${note.phase}${note.system ? ` (${note.system})` : ''}: ${note.reason}`;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
