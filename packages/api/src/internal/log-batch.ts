/** Where batched log text goes: pino's own destination (sonic-boom), which does the writing. */
export interface LogSink {
  write(text: string): unknown;
  flushSync(): void;
  /** sonic-boom's switch between asynchronous writes (`false`, hotq-api's) and synchronous ones. */
  sync?: boolean;
}

/**
 * A pino destination that gathers lines and passes them on in batches. It has no asynchronous
 * `flush`, so pino's `logger.flush()` does not wait for it: hotq-api calls {@link BatchedLog.flushSync}
 * before every exit instead.
 */
export interface BatchedLog {
  write(line: string): void;
  /** Passes on what is gathered and writes everything out synchronously; later writes are synchronous too (it comes before an exit). */
  flushSync(): void;
}

/**
 * Gathers log lines and hands them to `sink` together: once `maxChars` characters are gathered, or
 * `maxDelayMs` after the first line of a batch, whichever comes first.
 *
 * sonic-boom can buffer by itself (`minLength`), but it measures the UTF-8 length of its whole
 * growing buffer on every line, about 2 µs a line at hotq-api's rate: more than pino takes to
 * format the line. Here a line costs an array push; sonic-boom sees one write per batch and still
 * does what it is good at (partial writes, EAGAIN on a full pipe, synchronous flushes).
 */
export function batchedLog(sink: LogSink, options: { maxChars?: number; maxDelayMs?: number } = {}): BatchedLog {
  const maxChars = options.maxChars ?? 8_192;
  const maxDelayMs = options.maxDelayMs ?? 250;
  let lines: string[] = [];
  let chars = 0;
  let timer: NodeJS.Timeout | undefined;
  const pass = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (lines.length === 0) return;
    const text = lines.length === 1 ? (lines[0] as string) : lines.join('');
    lines = [];
    chars = 0;
    sink.write(text);
  };
  return {
    write(line) {
      lines.push(line);
      chars += line.length;
      if (chars >= maxChars) pass();
      else if (timer === undefined) {
        // Unreferenced: a pending batch never keeps the process alive; every exit flushes first.
        timer = setTimeout(pass, maxDelayMs);
        timer.unref();
      }
    },
    flushSync() {
      // An exit follows: what is passed on now must be written before it, not by an asynchronous
      // write that the exit would cut short (sonic-boom's flushSync leaves one it started alone).
      sink.sync = true;
      pass();
      sink.flushSync();
    },
  };
}
