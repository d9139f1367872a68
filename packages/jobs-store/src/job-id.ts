import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/** A ULID in its canonical form: 26 Crockford base32 characters, upper case, the first at most 7. */
const JOB_ID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * Whether `value` is a job id: a ULID in canonical form (26 characters of Crockford base32, upper
 * case). Anything else can never name a job, so it is refused before Redis is asked.
 * @public
 */
export function isJobId(value: unknown): value is string {
  return typeof value === 'string' && JOB_ID.test(value);
}

// ulid asks its random source for one number per character, by default one randomBytes(1) call
// each (16 per id): one crypto fill serves 4,096 characters instead. Same source, same uniformity.
const pool = Buffer.alloc(4096);
let poolNext = pool.length;
function pooledRandom(): number {
  if (poolNext === pool.length) {
    randomFillSync(pool);
    poolNext = 0;
  }
  return (pool[poolNext++] as number) / 256;
}

/** New ids, increasing even within one millisecond of this process; `seedTime` (ms) is the time they encode. */
export const newJobId: (seedTime?: number) => string = monotonicFactory(pooledRandom);
