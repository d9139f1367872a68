// The layout of a queue's keys, recorded in Redis (`<base>:layout`), so that a process never reads
// or writes keys laid out by another version as if they were its own.
import type { Cluster, Redis } from 'ioredis';
import { LayoutMismatchError } from './errors.js';

/** Layout 2: one hash per message, `<base>:job:<id>`, shared with the hooks' record (commands/_lib.lua). */
export const LAYOUT_VERSION = '2';

/** Keys that hotq 0.1 (layout 1, which recorded no version) always left behind on a queue it used. */
const LAYOUT_1_KEYS = ['stats', 'ready', 'delayed', 'leased', 'dead'];

// Records the layout on a queue that has none and no keys of layout 1; answers the layout found.
const CHECK = `
local found = redis.call('GET', KEYS[1])
if found then return found end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then return '1' end
end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/**
 * Checks the queue's layout once, recording it on a new queue; throws {@link LayoutMismatchError}
 * for keys of another layout. A plain script (EVAL): it runs once per queue object.
 */
export async function checkLayout(redis: Redis | Cluster, base: string): Promise<void> {
  const keys = [`${base}:layout`, ...LAYOUT_1_KEYS.map((name) => `${base}:${name}`)];
  const found = String(await redis.eval(CHECK, keys.length, ...keys, LAYOUT_VERSION));
  if (found !== LAYOUT_VERSION) throw new LayoutMismatchError(base, found, LAYOUT_VERSION);
}
