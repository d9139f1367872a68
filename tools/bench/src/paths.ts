import { fileURLToPath } from 'node:url';

/** Where the bench writes, relative to its compiled files in tools/bench/dist. */
export const PATHS = {
  results: fileURLToPath(new URL('../results/latest.json', import.meta.url)),
  /** `--http-only` runs write here, so the three-way results stay as they were. */
  httpResults: fileURLToPath(new URL('../results/http-latest.json', import.meta.url)),
  /** `npm run bench:dashboard` writes here. */
  dashboardResults: fileURLToPath(new URL('../results/dashboard-latest.json', import.meta.url)),
  chart: fileURLToPath(new URL('../results/chart.svg', import.meta.url)),
  docs: fileURLToPath(new URL('../../../docs/benchmarks.md', import.meta.url)),
  /** The chart as docs/benchmarks.md links it. */
  chartFromDocs: '../tools/bench/results/chart.svg',
} as const;
