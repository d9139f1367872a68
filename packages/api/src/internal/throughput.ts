import type { MinuteCounts, QueueStats } from '@hotq/queue-core';

type Totals = QueueStats['totals'];

/** One minute of the history GET /stats answers. */
export interface MinuteBody {
  at: string;
  submitted: number;
  completed: number;
  failed: number;
  retried: number;
}

/** What GET /stats says about throughput. */
export interface Throughput {
  windowSeconds: number;
  submittedPerMinute: number;
  completedPerMinute: number;
  deadPerMinute: number;
  totals: Totals;
  history: MinuteBody[];
}

const MINUTE_MS = 60_000;
const round = (value: number): number => Math.round(value * 100) / 100;

/**
 * Rates over the last 60 seconds from the per-minute history the queue's scripts keep: the current
 * minute so far plus the part of the previous one that is still within the window (counted as if
 * evenly spread). The same from every API process, and there the moment one starts.
 */
export function throughputOf(history: readonly MinuteCounts[], totals: Totals, now = Date.now()): Throughput {
  const current = history[history.length - 1];
  const previous = history[history.length - 2];
  const elapsed = current ? Math.min(1, Math.max(0, (now - current.minute) / MINUTE_MS)) : 1;
  const rate = (field: 'put' | 'acked' | 'dead'): number => round((current?.[field] ?? 0) + (previous?.[field] ?? 0) * (1 - elapsed));
  return {
    windowSeconds: 60,
    submittedPerMinute: rate('put'),
    completedPerMinute: rate('acked'),
    deadPerMinute: rate('dead'),
    totals,
    history: history.map((minute) => ({
      at: new Date(minute.minute).toISOString(), submitted: minute.put, completed: minute.acked, failed: minute.dead, retried: minute.retried,
    })),
  };
}
