/** The keys of one TaskQueue (or one partition of it), all sharing one hash tag (Redis Cluster slot). */
export interface QueueKeys {
  /** `{prefix:queue}`: the base every key of the queue starts with. */
  readonly base: string;
  /** The fixed keys, `<base>:<name>`, as the scripts name them from the base (see commands/_lib.lua), for reads done outside scripts. */
  readonly fixed: readonly string[];
  /**
   * The keys a script call declares: the base alone. It carries the queue's hash tag, so Redis
   * Cluster routes the call to the queue's slot; the scripts name the rest from it.
   */
  readonly declared: readonly string[];
}

/** The keys of queue `queue`, or of one partition of it when `partitionBase` is given. */
export function queueKeys(prefix: string, queue: string, partitionBase?: string): QueueKeys {
  const base = partitionBase ?? `{${prefix}:${queue}}`;
  const names = ['ready', 'delayed', 'leased', 'dead', 'paused', 'cancel', 'stats', 'wake', 'waiters', 'limits', 'groups', 'prio', 'schedules', 'blocked'];
  return { base, fixed: names.map((name) => `${base}:${name}`), declared: [base] };
}

/** Index of each fixed key, for the few reads done outside scripts. */
export const KEY = { ready: 0, delayed: 1, leased: 2, dead: 3, paused: 4, cancel: 5, stats: 6, wake: 7, waiters: 8, limits: 9, groups: 10, prio: 11, schedules: 12, blocked: 13 } as const;
