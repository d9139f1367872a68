// The layout of a queue's keys, recorded in Redis (`<base>:layout`), so that a process never reads
// or writes keys laid out by another version as if they were its own; and the partition count of a
// queue (`{prefix:queue}:partitions`), so that every process of it agrees where its jobs are.
import type { Cluster, Redis } from 'ioredis';
import { LayoutMismatchError, PartitionMismatchError } from './errors.js';

/** Layout 2: one hash per message, `<base>:job:<id>`, shared with the hooks' record (commands/_lib.lua). */
export const LAYOUT_VERSION = '2';

/** Keys that hotq 0.1 (layout 1, which recorded no version) always left behind on a queue it used. */
const LAYOUT_1_KEYS = ['stats', 'ready', 'delayed', 'leased', 'dead'];

// Records the layout on a queue that has none and no keys of layout 1; answers the layout found, or
// 'P<n>' when the queue was made with n partitions (a queue of one records none: its keys are those
// of every queue before partitions).
const CHECK = `
local partitions = redis.call('GET', KEYS[2])
if partitions and partitions ~= '1' then return 'P' .. partitions end
local found = redis.call('GET', KEYS[1])
if found then return found end
for i = 3, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return '1' end
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/**
 * Checks the queue's layout once, recording it on a new queue; throws {@link LayoutMismatchError}
 * for keys of another layout, {@link PartitionMismatchError} for a queue made with partitions. A
 * plain script (EVAL): it runs once per queue object.
 */
export async function checkLayout(redis: Redis | Cluster, base: string): Promise<void> {
  const keys = [`${base}:layout`, `${base}:partitions`, ...LAYOUT_1_KEYS.map((name) => `${base}:${name}`)];
  const found = String(await redis.eval(CHECK, keys.length, ...keys, LAYOUT_VERSION));
  if (found.startsWith('P')) throw new PartitionMismatchError(base, Number(found.slice(1)), 1);
  if (found !== LAYOUT_VERSION) throw new LayoutMismatchError(base, found, LAYOUT_VERSION);
}

// The partition count of a queue of several: the one recorded, else 1 when the queue was used
// unpartitioned (its layout is recorded under the same base), else the count asked for, recorded now.
const COUNT = `
local found = redis.call('GET', KEYS[1])
if found then return found end
if redis.call('EXISTS', KEYS[2]) == 1 then return '1' end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/**
 * Records the partition count of a partitioned queue on first use, and refuses with
 * {@link PartitionMismatchError} a queue that has another (or was used unpartitioned). One script.
 */
export async function checkPartitionCount(redis: Redis | Cluster, base: string, count: number): Promise<void> {
  const found = Number(await redis.eval(COUNT, 2, `${base}:partitions`, `${base}:layout`, String(count)));
  if (found !== count) throw new PartitionMismatchError(base, found, count);
}
