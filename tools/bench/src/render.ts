/*
 * Renders results/latest.json: writes results/chart.svg and, with --docs, the results section of
 * docs/benchmarks.md. `npm run bench` calls the same functions after a run; run this file alone
 * (`node tools/bench/dist/render.js --docs`) to redo them from a saved latest.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PATHS } from './paths.js';
import { chartSvg, markdownReport, replaceResultsSection } from './report.js';
import type { Results } from './results.js';

/** Writes the chart, and the docs section when `docs` is set. Returns the paths written. */
export function render(results: Results, docs: boolean): string[] {
  mkdirSync(dirname(PATHS.chart), { recursive: true });
  writeFileSync(PATHS.chart, chartSvg(results));
  const written = [PATHS.chart];
  if (docs) {
    if (!existsSync(PATHS.docs)) throw new Error(`${PATHS.docs} does not exist`);
    const document = readFileSync(PATHS.docs, 'utf8');
    writeFileSync(PATHS.docs, replaceResultsSection(document, markdownReport(results, PATHS.chartFromDocs)));
    written.push(PATHS.docs);
  }
  return written;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = JSON.parse(readFileSync(PATHS.results, 'utf8')) as Results;
  for (const path of render(results, process.argv.includes('--docs'))) console.log(`wrote ${path}`);
}
