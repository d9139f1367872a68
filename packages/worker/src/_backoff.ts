/** How long to wait before retrying a failed job: exponential in the attempt, with jitter. */
export interface BackoffPolicy {
  /** The first retry's nominal delay. */
  readonly baseMs: number;
  /** The longest nominal delay. */
  readonly maxMs: number;
}

/**
 * The delay after failed attempt `attempt` (1-based): nominal `baseMs * 2^(attempt - 1)`, capped at
 * `maxMs`, then "equal jitter" — half of it fixed, half random — so retries of jobs that failed
 * together spread out while each still waits at least half the nominal delay.
 */
export function retryDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** A short backoff for retrying calls to Redis: 100 ms doubling to 2 s. */
export function reconnectDelay(failures: number): number {
  return Math.min(2_000, 100 * 2 ** Math.max(0, Math.min(failures - 1, 10)));
}
