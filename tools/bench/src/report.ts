import { FIGURES, SCHEDULED_DRAINS, SYSTEM_KEYS, formatFigure, formatValue, type CostedPhase, type CostVsPlain, type FigureKey, type HttpResults, type Results, type ScheduledDrain } from './results.js';
import type { Figure } from './stats.js';

const SYSTEM_NAMES: Record<string, string> = { hotq: 'hotq', bullmq: 'BullMQ', 'bee-queue': 'bee-queue' };

function factor(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : `${value.toFixed(2)}x`;
}

function unitLabel(key: FigureKey): string {
  const figure = FIGURES.find((entry) => entry.key === key);
  if (!figure) return '';
  return figure.unit === 'B' ? 'bytes/job' : figure.unit;
}

/**
 * Whether other work kept the machine busier than its cores when the run began (1-minute load
 * average at the start). The load at the end is not a sign of it: by then it counts the bench's own
 * processes (Redis, the bench, the API and worker of the HTTP phase, autocannon).
 */
function busy(results: Results): boolean {
  const { cores, loadAverageAtStart } = results.machine;
  return (loadAverageAtStart[0] ?? 0) > cores;
}

/** The HTTP figures as label and `median (min–max)`, ratios with two decimals. */
function httpRows(http: HttpResults): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const ratio = (value: Figure | undefined): string => (value ? `${value.median.toFixed(2)} (${value.min.toFixed(2)}–${value.max.toFixed(2)})` : 'n/a');
  if (http.bare) rows.push([`HTTP ceiling: bare Express 5, ${http.bare.connections} connections (req/s)`, formatFigure(http.bare)]);
  if (http.post_jobs) rows.push([`HTTP POST /jobs, ${http.post_jobs.connections} connections (req/s)`, formatFigure(http.post_jobs)]);
  if (http.end_to_end) rows.push([`HTTP POST to succeeded, ${http.end_to_end.connections ?? 32} connections, one worker process at concurrency ${http.end_to_end.workerConcurrency} (jobs/s)`, formatFigure(http.end_to_end)]);
  if (http.batch) rows.push([`HTTP POST /jobs/batch, ${http.batch.jobsPerRequest} per request, ${http.batch.connections} connections (jobs/s)`, formatFigure(http.batch)]);
  if (http.ratios?.post_vs_bare) rows.push(['HTTP POST /jobs / bare, per round (target >= 0.70)', ratio(http.ratios.post_vs_bare)]);
  if (http.ratios?.e2e_vs_post) rows.push(['HTTP end to end / POST /jobs, per round (target >= 0.80)', ratio(http.ratios.e2e_vs_post)]);
  if (http.cpuPerRequestUs?.bare) rows.push(['server CPU per request, bare Express (µs)', formatFigure(http.cpuPerRequestUs.bare)]);
  if (http.cpuPerRequestUs?.post_jobs) rows.push(['server CPU per request, hotq-api POST /jobs (µs)', formatFigure(http.cpuPerRequestUs.post_jobs)]);
  if (http.mainThreadBusy?.bare) rows.push(['server main thread busy, bare Express (share of the run)', ratio(http.mainThreadBusy.bare)]);
  if (http.mainThreadBusy?.post_jobs) rows.push(['server main thread busy, hotq-api POST /jobs (share of the run)', ratio(http.mainThreadBusy.post_jobs)]);
  if (http.redisCpuPerRequestUs?.post_jobs) rows.push(['Redis CPU per POST /jobs (µs)', formatFigure(http.redisCpuPerRequestUs.post_jobs)]);
  return rows;
}

/** `0.85x (+5.9 µs per job)`: a scheduled drain against the plain one. */
function versusPlain(cost: CostVsPlain | undefined): string {
  if (!cost) return 'n/a';
  const sign = cost.extraUsPerJob >= 0 ? '+' : '−';
  return `${cost.ratio.toFixed(2)}x (${sign}${Math.abs(cost.extraUsPerJob).toFixed(1)} µs per job)`;
}

/**
 * One line per system: what priorities and limits cost it, against its own plain drain_c32 (the
 * scheduled drain's rate over the plain one, and the wall-clock time they add per job). Empty
 * when no system measured a scheduled drain.
 */
function costVsPlainRows(results: Results): Array<[string, ...string[]]> {
  if (!SYSTEM_KEYS.some((key) => results.systems[key]?.vsPlainDrainC32)) return [];
  return SYSTEM_KEYS.filter((key) => results.systems[key]).map((key) => [
    SYSTEM_NAMES[key] ?? key,
    ...SCHEDULED_DRAINS.map(({ key: drain }) => versusPlain(results.systems[key]?.vsPlainDrainC32?.[drain])),
  ]);
}

const COST_VS_PLAIN_TITLE = 'cost vs plain drain_c32';
const COST_VS_PLAIN_NOTE = 'Each system against its own plain drain_c32: the scheduled drain\'s median rate over the plain one (below 1x is what the feature costs), and the wall-clock time it adds per job at concurrency 32.';
const SCHEDULED_DRAIN_NAMES: Record<ScheduledDrain, string> = { drain_c32_priorities: 'with priorities', drain_c32_limits: 'with limits' };

/** The HTTP table of docs/benchmarks.md. */
export function httpMarkdown(http: HttpResults): string[] {
  const rows = httpRows(http);
  if (rows.length === 0) return [];
  return [
    '| HTTP (hotq only; every server in a process of its own, autocannon in another) | median (min–max) over rounds |', '|---|---:|',
    ...rows.map(([label, value]) => `| ${label} | ${value} |`), '',
  ];
}

/** The summary printed at the end of a run. */
export function consoleReport(results: Results): string {
  const lines: string[] = [];
  const header = ['figure', ...SYSTEM_KEYS.map((key) => results.systems[key]?.label ?? SYSTEM_NAMES[key] ?? key), 'vs BullMQ', 'vs bee-queue'];
  const rows = FIGURES.map(({ key, label }) => [
    `${label} (${unitLabel(key)})`,
    ...SYSTEM_KEYS.map((system) => formatFigure(results.systems[system]?.figures[key])),
    factor(results.advantage[key]),
    factor(results.advantage_beequeue[key]),
  ]);
  const { put, get } = results.hotqueue;
  if (put) rows.push(['HotQueue put vs bare LPUSH (ops/s)', formatFigure(put.hotqueue), `bare ${formatFigure(put.bare)}`, '', factor(put.ratio), '']);
  if (get) rows.push(['HotQueue get vs bare BLPOP (ops/s)', formatFigure(get.hotqueue), `bare ${formatFigure(get.bare)}`, '', factor(get.ratio), '']);
  rows.push(...httpRows(results.http).map(([label, value]) => [label, value, '', '', '', '']));
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (row: string[]): string => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  lines.push(format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format));
  const versus = costVsPlainRows(results);
  if (versus.length > 0) {
    lines.push('', `${COST_VS_PLAIN_TITLE}:`);
    for (const [name, ...cells] of versus) {
      const named = SCHEDULED_DRAINS.map(({ key }, index) => `${SCHEDULED_DRAIN_NAMES[key]} ${cells[index] ?? 'n/a'}`.padEnd(44));
      lines.push(`  ${name.padEnd(10)} ${named.join('').trimEnd()}`);
    }
    lines.push(COST_VS_PLAIN_NOTE);
  }
  lines.push('', 'median (min–max) over rounds; "vs" is hotq\'s advantage: above 1x hotq is better (rate ratio; inverse ratio for latency and memory).');
  if (busy(results)) lines.push(`the machine was busy (load average above its ${results.machine.cores} cores): figures are rough.`);
  return lines.join('\n');
}

/** The results section of docs/benchmarks.md. */
export function markdownReport(results: Results, chartPath: string): string {
  const out: string[] = [];
  const machine = results.machine;
  out.push(
    `Measured ${results.date.slice(0, 10)} (\`${results.mode}\` run, ${results.rounds} rounds, ${Math.round(results.durationSeconds)} s): ` +
      `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, load average ${machine.loadAverageAtStart.map((value) => value.toFixed(2)).join(' ')} at the start ` +
      `and ${machine.loadAverageAtEnd.map((value) => value.toFixed(2)).join(' ')} at the end.`,
    '',
    ...(busy(results) ? [`**Measured on a busy machine** (load average above the ${machine.cores} cores while other work ran): every figure is slower and noisier than on a quiet machine, and the ratios between systems move from run to run; treat them as rough.`, ''] : []),
    `Versions: ${Object.entries(results.versions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    '',
    `Jobs per run: bulk ${results.parameters.bulkJobs.toLocaleString('en-US')} (batches of ${results.parameters.bulkBatch}), single ${results.parameters.singleJobs.toLocaleString('en-US')}, ` +
      `drain ${results.parameters.drainJobs.toLocaleString('en-US')}, latency ${results.parameters.latencySamples} samples; payload ${results.parameters.payloadBytes} bytes.`,
    '',
    '| figure | ' + SYSTEM_KEYS.map((key) => results.systems[key]?.label ?? SYSTEM_NAMES[key]).join(' | ') + ' | hotq vs BullMQ | hotq vs bee-queue |',
    '|---|' + SYSTEM_KEYS.map(() => '---:').join('|') + '|---:|---:|',
  );
  for (const { key, label } of FIGURES) {
    out.push(`| ${label} (${unitLabel(key)}) | ${SYSTEM_KEYS.map((system) => formatFigure(results.systems[system]?.figures[key])).join(' | ')} | ${factor(results.advantage[key])} | ${factor(results.advantage_beequeue[key])} |`);
  }
  out.push('', 'Cells are the median over rounds with (min–max). An advantage above 1x means hotq is better: the rate ratio for throughput, the inverse ratio for latency and memory.', '');
  const versus = costVsPlainRows(results);
  if (versus.length > 0) {
    out.push(
      `| ${COST_VS_PLAIN_TITLE} | ${SCHEDULED_DRAINS.map(({ key }) => SCHEDULED_DRAIN_NAMES[key]).join(' | ')} |`,
      `|---|${SCHEDULED_DRAINS.map(() => '---:').join('|')}|`,
      ...versus.map((cells) => `| ${cells.join(' | ')} |`),
      '',
      COST_VS_PLAIN_NOTE,
      '',
    );
  }

  const { put, get } = results.hotqueue;
  if (put || get) {
    out.push('| HotQueue vs bare list (ops/s) | HotQueue | bare LPUSH/BLPOP | HotQueue / bare |', '|---|---:|---:|---:|');
    if (put) out.push(`| put (one awaited RPUSH each) | ${formatFigure(put.hotqueue)} | ${formatFigure(put.bare)} | ${put.ratio.toFixed(2)} |`);
    if (get) out.push(`| get (one awaited BLPOP each) | ${formatFigure(get.hotqueue)} | ${formatFigure(get.bare)} | ${get.ratio.toFixed(2)} |`);
    out.push('');
  }
  out.push(...httpMarkdown(results.http));
  const costed = SYSTEM_KEYS.filter((key) => results.systems[key]?.redisCost);
  if (costed.length > 0) {
    out.push(
      'What one job costs (untimed passes of ' + results.parameters.profileJobs + ' jobs): Redis commands sent by clients / run inside scripts (MONITOR); CPU per job of Redis\'s main thread (INFO cpu) + of the Node process running the library (the bench process: producer, or worker and its completion counting):',
      '',
      '| per job | ' + costed.map((key) => SYSTEM_NAMES[key]).join(' | ') + ' |',
      '|---|' + costed.map(() => '---:').join('|') + '|',
    );
    const phases: ReadonlyArray<readonly [CostedPhase, string]> = [
      ['enqueue_single', 'enqueue one'], ['drain_c1', 'process, concurrency 1'], ['drain_c32', 'process, concurrency 32'],
      ['drain_c32_priorities', 'process, concurrency 32, priorities'], ['drain_c32_limits', 'process, concurrency 32, limits'],
    ];
    for (const [phase, label] of phases) {
      // A latest.json from before the scheduled drains has no such row for anyone: leave it out.
      if (!costed.some((key) => results.systems[key]?.redisCost?.[phase])) continue;
      out.push(`| ${label} | ${costed.map((key) => {
        const cost = results.systems[key]?.redisCost?.[phase];
        return cost ? `${cost.client} / ${cost.script} cmds; ${Math.round(cost.cpuUs)} + ${Math.round(cost.nodeCpuUs)} µs` : 'n/a';
      }).join(' | ')} |`);
    }
    out.push('');
  }
  out.push(`![hotq, BullMQ and bee-queue side by side](${chartPath})`, '');
  for (const note of results.skipped) out.push(`- Skipped: ${note.phase}${note.system ? ` (${note.system})` : ''}: ${note.reason}`);
  for (const note of results.errors) out.push(`- Failed: ${note.phase}${note.system ? ` (${note.system})` : ''}: ${note.reason}`);
  return out.join('\n').trimEnd() + '\n';
}

interface Panel {
  title: string;
  unit: string;
  bars: Array<{ name: string; figure: Figure | undefined; colour: string }>;
}

const COLOURS: Record<string, string> = { hotq: '#d9480f', bullmq: '#1971c2', 'bee-queue': '#e8a100', bare: '#868e96' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An SVG chart: one panel per figure, a bar per system (median) with its min–max range. */
export function chartSvg(results: Results): string {
  const panels: Panel[] = FIGURES.map(({ key, label, unit, better }) => ({
    title: `${label} — ${unit === 'B' ? 'bytes per job' : unit}, ${better} is better`,
    unit,
    bars: SYSTEM_KEYS.map((system) => ({ name: results.systems[system]?.label ?? SYSTEM_NAMES[system] ?? system, figure: results.systems[system]?.figures[key], colour: COLOURS[system] ?? '#000' })),
  }));
  const { put, get } = results.hotqueue;
  for (const [label, pair] of [['HotQueue put vs bare LPUSH', put], ['HotQueue get vs bare BLPOP', get]] as const) {
    if (pair) panels.push({ title: `${label} — ops/s, higher is better`, unit: 'ops/s', bars: [{ name: 'HotQueue', figure: pair.hotqueue, colour: COLOURS.hotq ?? '#000' }, { name: 'bare list', figure: pair.bare, colour: COLOURS.bare ?? '#000' }] });
  }
  const { post_jobs: post, end_to_end: e2e } = results.http;
  if (post || e2e) {
    panels.push({ title: 'hotq over HTTP — per second, higher is better', unit: '/s', bars: [
      { name: 'POST /jobs', figure: post, colour: COLOURS.hotq ?? '#000' },
      { name: 'POST to succeeded', figure: e2e, colour: '#a61e4d' },
    ] });
  }

  const width = 780;
  const labelWidth = 150;
  const barArea = width - labelWidth - 150;
  const barHeight = 16;
  const parts: string[] = [];
  let y = 50;
  parts.push(`<text x="12" y="22" font-size="16" font-weight="bold">hotq vs BullMQ vs bee-queue</text>`);
  parts.push(`<text x="12" y="40" font-size="12" fill="#495057">${escapeXml(`${results.date.slice(0, 10)}, ${results.mode} run, ${results.rounds} rounds, ${results.machine.cores} cores, load average ${results.machine.loadAverageAtStart[0]?.toFixed(1) ?? '?'} at the start. Bar: median; line: min–max over rounds.`)}</text>`);
  for (const panel of panels) {
    y += 20;
    parts.push(`<text x="12" y="${y}" font-size="13" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 8;
    const max = Math.max(1e-9, ...panel.bars.map((bar) => bar.figure?.max ?? 0));
    for (const bar of panel.bars) {
      const top = y;
      parts.push(`<text x="${labelWidth - 8}" y="${top + barHeight - 4}" font-size="12" text-anchor="end">${escapeXml(bar.name)}</text>`);
      if (bar.figure) {
        const scale = (value: number): number => labelWidth + (value / max) * barArea;
        parts.push(`<rect x="${labelWidth}" y="${top}" width="${Math.max(1, scale(bar.figure.median) - labelWidth).toFixed(1)}" height="${barHeight}" fill="${bar.colour}"/>`);
        const middle = top + barHeight / 2;
        parts.push(`<line x1="${scale(bar.figure.min).toFixed(1)}" x2="${scale(bar.figure.max).toFixed(1)}" y1="${middle}" y2="${middle}" stroke="#212529" stroke-width="1.5"/>`);
        parts.push(`<text x="${(scale(bar.figure.max) + 6).toFixed(1)}" y="${top + barHeight - 4}" font-size="12">${escapeXml(formatValue(bar.figure.median, bar.figure.unit))}</text>`);
      } else {
        parts.push(`<text x="${labelWidth}" y="${top + barHeight - 4}" font-size="12" fill="#868e96">not measured</text>`);
      }
      y += barHeight + 4;
    }
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** Replaces the text between the results markers of docs/benchmarks.md. */
export function replaceResultsSection(document: string, section: string): string {
  const begin = '<!-- results:begin (written by tools/bench from results/latest.json) -->';
  const end = '<!-- results:end -->';
  const from = document.indexOf(begin);
  const to = document.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/benchmarks.md has no "${begin}" ... "${end}" section`);
  return `${document.slice(0, from + begin.length)}\n${section}${document.slice(to)}`;
}
