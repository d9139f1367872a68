import type { QueueStats } from '@hotq/queue-core';

type Totals = QueueStats['totals'];

/** What GET /stats says about throughput. */
export interface Throughput {
  windowSeconds: number;
  submittedPerMinute: number | null;
  completedPerMinute: number | null;
  deadPerMinute: number | null;
  totals: Totals;
}

const WINDOW_MS = 5 * 60 * 1000;

/**
 * Rates from the queue's running totals, sampled whenever stats are read: the rate is the change
 * since the oldest sample of the last five minutes. No timer, no extra Redis calls; a fresh process
 * (one sample) reports null rates.
 */
export class ThroughputMeter {
  private samples: Array<{ at: number; totals: Totals }> = [];

  observe(totals: Totals, now = Date.now()): Throughput {
    this.samples = this.samples.filter((sample) => now - sample.at <= WINDOW_MS && sample.at <= now);
    // A total that went down means the queue's stats were reset: start over.
    if (this.samples.some((sample) => sample.totals.put > totals.put || sample.totals.acked > totals.acked)) this.samples = [];
    const oldest = this.samples[0];
    // Keep at most one sample per second: enough resolution, bounded memory.
    const last = this.samples[this.samples.length - 1];
    if (!last || now - last.at >= 1000) this.samples.push({ at: now, totals });
    if (!oldest || now === oldest.at) {
      return { windowSeconds: 0, submittedPerMinute: null, completedPerMinute: null, deadPerMinute: null, totals };
    }
    const minutes = (now - oldest.at) / 60_000;
    const rate = (key: keyof Totals): number => Math.round(((totals[key] - oldest.totals[key]) / minutes) * 100) / 100;
    return {
      windowSeconds: Math.round((now - oldest.at) / 100) / 10,
      submittedPerMinute: rate('put'),
      completedPerMinute: rate('acked'),
      deadPerMinute: rate('dead'),
      totals,
    };
  }
}
