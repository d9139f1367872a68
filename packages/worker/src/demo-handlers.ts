import { NonRetryableError } from './errors.js';
import type { Handler, Handlers } from './handler-types.js';

const MAX_SLEEP_MS = 24 * 60 * 60 * 1000;
const TOP_WORDS = 10;

/** Fails a job at once: its params are wrong, and would be wrong on every attempt. */
function invalid(type: string, message: string): NonRetryableError {
  return new NonRetryableError(`${type}: ${message}`, { code: 'invalid_params' });
}

/** Refuses parameters other than `allowed`, naming the first stranger. */
function onlyKnown(type: string, params: Record<string, unknown>, allowed: readonly string[]): void {
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) {
      throw invalid(type, `unknown parameter "${name}" (expected ${allowed.map((a) => `"${a}"`).join(', ')})`);
    }
  }
}

function received(value: unknown): string {
  if (typeof value === 'string') return value.length > 30 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}

/** `{ ms }` gives `{ slept: ms }`, after waiting `ms` milliseconds; stops early when aborted. */
const sleep: Handler = async (job, ctx) => {
  onlyKnown('sleep', job.params, ['ms']);
  const ms = job.params.ms;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
    throw invalid('sleep', `params.ms must be an integer from 0 to ${MAX_SLEEP_MS} (received ${received(ms)})`);
  }
  await new Promise<void>((resolve, reject) => {
    if (ctx.signal.aborted) {
      reject(ctx.signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(ctx.signal.reason);
    };
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
  return { slept: ms };
};

/** Returns its params unchanged. */
const echo: Handler = (job) => job.params;

/** `{ message }`: always throws an error with that message (retried like any failure). */
const fail: Handler = (job) => {
  onlyKnown('fail', job.params, ['message']);
  const message = job.params.message ?? 'failed on purpose';
  if (typeof message !== 'string' || message === '') {
    throw invalid('fail', `params.message must be a non-empty string (received ${received(message)})`);
  }
  throw new Error(message);
};

/**
 * `{ text }` gives `{ words, unique, top }`: the number of words, of distinct words (case-insensitive),
 * and the 10 most frequent as `[word, count]`, most frequent first (ties alphabetically).
 */
const wordcount: Handler = (job) => {
  onlyKnown('wordcount', job.params, ['text']);
  const text = job.params.text;
  if (typeof text !== 'string') throw invalid('wordcount', `params.text must be a string (received ${received(text)})`);
  const counts = new Map<string, number>();
  let words = 0;
  // A word: letters and digits, with inner apostrophes or hyphens ("don't", "well-known").
  for (const match of text.matchAll(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)) {
    const word = match[0].toLowerCase();
    counts.set(word, (counts.get(word) ?? 0) + 1);
    words += 1;
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, TOP_WORDS);
  return { words, unique: counts.size, top };
};

/**
 * `{ values }` gives `{ count, mean, median, stdev, min, max }`; `stdev` is the sample standard deviation
 * (n - 1 in the denominator), 0 for a single value.
 */
const stats: Handler = (job) => {
  onlyKnown('stats', job.params, ['values']);
  const values = job.params.values;
  if (!Array.isArray(values) || values.length === 0) {
    throw invalid('stats', `params.values must be a non-empty array of finite numbers (received ${received(values)})`);
  }
  values.forEach((value, index) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalid('stats', `params.values[${index}] must be a finite number (received ${received(value)})`);
    }
  });
  const numbers = values as number[];
  const count = numbers.length;
  // Welford's method: one pass, no catastrophic cancellation.
  let mean = 0;
  let m2 = 0;
  numbers.forEach((value, index) => {
    const delta = value - mean;
    mean += delta / (index + 1);
    m2 += delta * (value - mean);
  });
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(count / 2);
  const median = count % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return {
    count,
    mean,
    median,
    stdev: count > 1 ? Math.sqrt(m2 / (count - 1)) : 0,
    min: sorted[0] as number,
    max: sorted[count - 1] as number,
  };
};

/**
 * The demo job types every worker serves: `echo`, `sleep`, `fail`, `wordcount` and `stats`.
 * Handlers given to a worker with the same names replace them.
 * @public
 */
export const demoHandlers: Readonly<Handlers> = Object.freeze({ echo, sleep, fail, wordcount, stats });
