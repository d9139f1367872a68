import type { Cluster, Redis } from 'ioredis';
import { InvalidArgumentError } from './errors.js';
import { withTimeout } from './_redis.js';
import { checkInteger, checkScope } from './_validate.js';
import type { Limit, LimitSpec, LimitUsage } from './task-queue-types.js';

// Limits live in the queue's `limits` hash as '<starts> <per ms> <concurrency>' (0: none), the form
// _sched.lua reads once per reserve; see docs/decisions/0015.
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_COUNT = 100_000;
/** Ageing when none was set: a waiting job gains one priority level per second. */
export const DEFAULT_AGEING_MS = 1000;

interface LimitKeys {
  readonly base: string;
  readonly limits: string;
  readonly wake: string;
}

/** Validates a limit (nothing written) and encodes it. */
export function encodeLimit(scope: unknown, spec: unknown): { scope: string; value: string; limit: Limit } {
  const checked = checkScope('scope', scope, true);
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InvalidArgumentError('limit', 'an object { rate?, concurrency? }', spec);
  const { rate, concurrency, ...rest } = spec as LimitSpec & Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw new InvalidArgumentError(`limit.${unknown}`, 'absent (known: rate, concurrency)', rest[unknown]);
  if (rate === undefined && concurrency === undefined) throw new InvalidArgumentError('limit', 'at least one of rate and concurrency', spec);
  let count = 0;
  let perMs = 0;
  if (rate !== undefined) {
    if (typeof rate !== 'object' || rate === null) throw new InvalidArgumentError('limit.rate', 'an object { count, perMs }', rate);
    count = checkInteger('limit.rate.count', rate.count, 1, MAX_COUNT);
    perMs = checkInteger('limit.rate.perMs', rate.perMs, 1, DAY_MS);
  }
  const slots = concurrency === undefined ? 0 : checkInteger('limit.concurrency', concurrency, 1, MAX_COUNT);
  return {
    scope: checked,
    value: `${count} ${perMs} ${slots}`,
    limit: { scope: checked, rate: rate === undefined ? null : { count, perMs }, concurrency: slots === 0 ? null : slots },
  };
}

function decodeLimit(scope: string, value: string): Limit | null {
  const match = /^(\d+) (\d+) (\d+)$/.exec(value);
  if (!match) return null;
  const [count, perMs, slots] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return { scope, rate: count > 0 ? { count, perMs } : null, concurrency: slots > 0 ? slots : null };
}

/** Sets (replaces) a limit and wakes idle consumers, so that a looser limit takes effect at once. */
export async function setLimit(redis: Redis | Cluster, keys: LimitKeys, scope: unknown, spec: unknown, timeoutMs: number): Promise<Limit> {
  const encoded = encodeLimit(scope, spec);
  await withTimeout(redis.multi().hset(keys.limits, encoded.scope, encoded.value).lpush(keys.wake, '1').exec(), timeoutMs, 'setLimit');
  return encoded.limit;
}

/** Removes a limit: its rate log goes with it; the leases it counts give their slots back as they end. */
export async function removeLimit(redis: Redis | Cluster, keys: LimitKeys, scope: unknown, timeoutMs: number): Promise<boolean> {
  const checked = checkScope('scope', scope, true);
  const reply = await withTimeout(
    redis.multi().hdel(keys.limits, checked).del(`${keys.base}:rl:${checked}`).lpush(keys.wake, '1').exec(), timeoutMs, 'removeLimit',
  );
  return reply?.[0]?.[1] === 1;
}

/** The limits in force with what they count now, by scope. Two round trips. */
export async function readLimits(redis: Redis | Cluster, keys: LimitKeys, timeoutMs: number): Promise<LimitUsage[]> {
  // The keyed command first: on a Cluster the transaction goes to the node of its first key.
  const [flat, time] = (await withTimeout(redis.multi().hgetall(keys.limits).time().exec(), timeoutMs, 'limits'))?.map(([error, value]) => {
    if (error) throw error;
    return value;
  }) as [Record<string, string>, [string, string]];
  const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
  const limits = Object.entries(flat ?? {})
    .map(([scope, value]) => decodeLimit(scope, value))
    .filter((limit): limit is Limit => limit !== null)
    .sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  if (limits.length === 0) return [];
  const pipeline = redis.multi();
  for (const limit of limits) {
    pipeline.scard(`${keys.base}:run:${limit.scope}`);
    pipeline.zcount(`${keys.base}:rl:${limit.scope}`, `(${now - (limit.rate?.perMs ?? 0)}`, '+inf');
  }
  const counts = ((await withTimeout(pipeline.exec(), timeoutMs, 'limits')) ?? []).map(([error, value]) => {
    if (error) throw error;
    return Number(value);
  });
  return limits.map((limit, index) => ({
    ...limit,
    running: limit.concurrency === null ? 0 : (counts[index * 2] ?? 0),
    recentStarts: limit.rate === null ? 0 : (counts[index * 2 + 1] ?? 0),
  }));
}
