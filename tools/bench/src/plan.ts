/** How much work each phase does: the full run, `--quick` (under 3 minutes), or `--smoke` (seconds; checks the bench works, its figures mean little). */
export interface Plan {
  readonly mode: 'full' | 'quick' | 'smoke';
  /** Rounds of every phase, systems alternating within each round (A B C A B C ...). */
  readonly rounds: number;
  /** Jobs per bulk-enqueue run, in batches of `bulkBatch`. */
  readonly bulkJobs: number;
  readonly bulkBatch: number;
  /** Jobs per one-at-a-time enqueue run. */
  readonly singleJobs: number;
  /** Preloaded jobs per drain run (also the memory measurement, taken on the concurrency-32 drain). */
  readonly drainJobs: number;
  /** Latency samples per run, and the quiet gap after each so the worker is idle again. */
  readonly latencySamples: number;
  readonly latencyGapMs: number;
  /** Items per HotQueue / bare-list run. */
  readonly listItems: number;
  /** autocannon: seconds per POST /jobs run, and its connections. */
  readonly httpSeconds: number;
  readonly httpConnections: number;
  /** POST /jobs/batch: jobs per request, and the connections sending them. */
  readonly batchSize: number;
  readonly batchConnections: number;
  /** End to end (POST to succeeded, for httpSeconds on httpConnections): the worker's concurrency. */
  readonly e2eConcurrency: number;
  /** Jobs per system for the (untimed) command count under MONITOR. */
  readonly profileJobs: number;
  /** Upper bound of any single measurement. */
  readonly timeoutMs: number;
}

const FULL: Plan = {
  mode: 'full',
  rounds: 5,
  bulkJobs: 20_000,
  bulkBatch: 1_000,
  singleJobs: 5_000,
  drainJobs: 20_000,
  latencySamples: 1_000,
  latencyGapMs: 3,
  listItems: 20_000,
  httpSeconds: 10,
  httpConnections: 32,
  batchSize: 100,
  batchConnections: 8,
  e2eConcurrency: 32,
  profileJobs: 1_000,
  timeoutMs: 120_000,
};

const QUICK: Plan = {
  ...FULL,
  mode: 'quick',
  rounds: 3,
  bulkJobs: 10_000,
  singleJobs: 2_000,
  drainJobs: 5_000,
  latencySamples: 300,
  listItems: 5_000,
  httpSeconds: 4,
  profileJobs: 500,
  timeoutMs: 60_000,
};

const SMOKE: Plan = {
  ...QUICK,
  mode: 'smoke',
  bulkJobs: 1_000,
  singleJobs: 200,
  drainJobs: 500,
  latencySamples: 30,
  listItems: 500,
  httpSeconds: 1,
  profileJobs: 100,
  timeoutMs: 30_000,
};

/** The plan for the command line (`--quick` or `--smoke`, `--rounds N` at least 3). */
export function planFor(mode: Plan['mode'], rounds: number | undefined): Plan {
  const plan = mode === 'smoke' ? SMOKE : mode === 'quick' ? QUICK : FULL;
  if (rounds === undefined) return plan;
  if (!Number.isInteger(rounds) || rounds < 3 || rounds > 50) throw new Error(`--rounds must be an integer from 3 to 50, got ${rounds}`);
  return { ...plan, rounds };
}
