// The throughput chart: uPlot, drawing the last hour per minute as GET /stats answers it (kept by the
// queue in Redis, so the chart is full the moment the page opens).
import uPlot from 'uplot';
import type { Stats } from './types.js';

export class ThroughputChart {
  private data: [number[], number[], number[], number[]] = [[], [], [], []];
  private plot: uPlot | undefined;

  mount(element: HTMLElement): void {
    this.plot?.destroy();
    this.plot = new uPlot({
      width: Math.max(320, element.clientWidth || 640),
      height: 180,
      series: [
        {},
        { label: 'submitted', stroke: '#2563eb', width: 2 },
        { label: 'completed', stroke: '#16a34a', width: 2 },
        { label: 'failed', stroke: '#dc2626', width: 2 },
      ],
      // Always the last hour, so a quiet queue's few minutes do not stretch over a range uPlot guesses.
      scales: { x: { time: true, range: () => [Date.now() / 1000 - 3600, Date.now() / 1000] }, y: { range: (_u, _min, max) => [0, Math.max(10, max ?? 0)] } },
      axes: [{}, { label: 'per minute' }],
    }, this.data, element);
  }

  /** Draws the history of a GET /stats answer (each answer carries the whole hour). */
  show(stats: Stats): void {
    const { history } = stats.throughput;
    this.data[0] = history.map((minute) => Date.parse(minute.at) / 1000);
    this.data[1] = history.map((minute) => minute.submitted);
    this.data[2] = history.map((minute) => minute.completed);
    this.data[3] = history.map((minute) => minute.failed);
    this.plot?.setData(this.data);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }
}
