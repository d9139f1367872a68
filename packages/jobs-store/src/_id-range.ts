import { encodeTime } from 'ulid';
import { checkTime } from './_validate.js';

// A job id is a ULID: 10 characters of its creation time (ms), then 16 random ones, all in Crockford
// base32, whose order is the order of the bytes. So "created before t" is "id below the first id of
// t", and a time window is a range of ids, which an index sorted by id answers without reading a job.
const LOWEST_RANDOM = '0'.repeat(16);

/** The first possible id of millisecond `ms`. */
export function firstIdAt(ms: number): string {
  return `${encodeTime(ms, 10)}${LOWEST_RANDOM}`;
}

/**
 * The ids a walk from the newest down may return, as ZREVRANGEBYLEX bounds: below the cursor (the
 * last id of the previous page) and below createdBefore, whichever is lower; at or above createdAfter.
 */
export function idRange(cursor: string | undefined, createdAfter: unknown, createdBefore: unknown): { max: string; min: string } {
  let below = cursor;
  if (createdBefore !== undefined) {
    const bound = firstIdAt(checkTime('createdBefore', createdBefore));
    if (below === undefined || bound < below) below = bound;
  }
  const min = createdAfter === undefined ? '-' : `[${firstIdAt(checkTime('createdAfter', createdAfter))}`;
  return { max: below === undefined ? '+' : `(${below}`, min };
}
