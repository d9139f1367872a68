/**
 * What a drain run puts in force besides a plain FIFO queue, so that the bench can say what
 * priorities and limits cost per job (issue 17): the same drain, with
 * - `priorities`: every preloaded job carries a priority, spread evenly over -10..10;
 * - `limits`: a rate limit and a concurrency limit on the whole queue that never bind at the
 *   bench's rates, so the figure is the cost of checking them, not of waiting for them.
 */
export const SCHEDULINGS = ['plain', 'priorities', 'limits'] as const;

export type Scheduling = (typeof SCHEDULINGS)[number];

/** The schedulings other than `plain`: the ones a system may lack. */
export type ExtraScheduling = Exclude<Scheduling, 'plain'>;

/** Priorities run from -PRIORITY_SPREAD to +PRIORITY_SPREAD (hotq's scale: higher runs first). */
export const PRIORITY_SPREAD = 10;

/**
 * The priority of the `index`-th preloaded job, on hotq's scale: the levels in turn (-10, -9, ...,
 * 10, -10, ...), so every level holds the same number of jobs and each level's jobs are spread
 * over the whole preload (FIFO within a level still has work to do).
 */
export function priorityOf(index: number): number {
  return (index % (2 * PRIORITY_SPREAD + 1)) - PRIORITY_SPREAD;
}

/**
 * Limits that never bind: 100,000 starts per second (hotq's drain at concurrency 32 runs at about
 * 30,000 jobs/s on the reference machine) and 1,000 running at once (the worker runs 32).
 */
export const NEVER_BINDING_LIMIT = {
  rate: { count: 100_000, perMs: 1_000 },
  concurrency: 1_000,
} as const;
