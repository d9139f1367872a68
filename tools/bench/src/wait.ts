import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `done` every `intervalMs` until it answers true; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(done: () => Promise<boolean>, what: string, timeoutMs: number, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A promise that resolves after `count` ticks (completions), or rejects after `timeoutMs`. */
export class Countdown {
  private remaining: number;
  private resolve!: () => void;
  private timer: NodeJS.Timeout | undefined;
  readonly done: Promise<void>;

  constructor(count: number, what: string, timeoutMs: number) {
    this.remaining = count;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.remaining} left)`)), timeoutMs);
    });
    // A rejection nobody awaited yet must not crash the process; the awaiting caller still sees it.
    this.done.catch(() => {});
    if (count <= 0) this.finish();
  }

  tick(): void {
    this.remaining -= 1;
    if (this.remaining === 0) this.finish();
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.resolve();
  }
}

/** A value that a later event provides once (e.g. the moment a handler starts). */
export class Signal<T> {
  private resolver: ((value: T) => void) | undefined;

  /** Waits for the next `fire`, at most `timeoutMs`. */
  async next(what: string, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        this.resolver = resolve;
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      });
    } finally {
      clearTimeout(timer);
      this.resolver = undefined;
    }
  }

  fire(value: T): void {
    this.resolver?.(value);
    this.resolver = undefined;
  }
}
