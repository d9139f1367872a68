/** A figure measured once per round: the median across rounds, the spread, and every run. */
export interface Figure {
  readonly unit: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: readonly number[];
}

/** The median of the values (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The p-th percentile (0 < p <= 100), nearest-rank, of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Summarises one figure's runs (one per round). */
export function figure(unit: string, runs: readonly number[]): Figure {
  return { unit, median: median(runs), min: Math.min(...runs), max: Math.max(...runs), runs: [...runs] };
}

/** A rate from a count and elapsed milliseconds. */
export function perSecond(count: number, elapsedMs: number): number {
  return count / (elapsedMs / 1000);
}
