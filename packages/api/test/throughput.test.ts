// The rates GET /stats answers, from the per-minute counts the queue keeps: the current minute so far
// plus the share of the previous minute still inside the last 60 seconds.
import { describe, expect, it } from 'vitest';
import { throughputOf } from '../src/internal/throughput.js';

const minute = (at: number, put: number, acked: number, dead = 0) => ({ minute: at, put, acked, retried: 0, dead, expired: 0, released: 0 });
const totals = { put: 0, acked: 0, retried: 0, dead: 0, expired: 0, released: 0 };

describe('throughputOf', () => {
  it('weighs the previous minute by the part of it still within the window', () => {
    const start = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    const history = [minute(start - 60_000, 60, 40, 6), minute(start, 30, 10, 1)];
    expect(throughputOf(history, totals, start + 30_000)).toMatchObject({ windowSeconds: 60, submittedPerMinute: 60, completedPerMinute: 30, deadPerMinute: 4 });
    expect(throughputOf(history, totals, start)).toMatchObject({ submittedPerMinute: 90 });
    expect(throughputOf(history, totals, start + 60_000)).toMatchObject({ submittedPerMinute: 30 });
    // A clock a little behind or ahead of Redis's does not make the weight negative or above one.
    expect(throughputOf(history, totals, start - 5_000)).toMatchObject({ submittedPerMinute: 90 });
    expect(throughputOf(history, totals, start + 90_000)).toMatchObject({ submittedPerMinute: 30 });
  });

  it('renders the history with ISO minutes, and zeros for a queue that saw nothing', () => {
    const result = throughputOf([minute(0, 0, 0), minute(60_000, 0, 0)], totals, 61_000);
    expect(result.history).toEqual([
      { at: '1970-01-01T00:00:00.000Z', submitted: 0, completed: 0, failed: 0, retried: 0 },
      { at: '1970-01-01T00:01:00.000Z', submitted: 0, completed: 0, failed: 0, retried: 0 },
    ]);
    expect(result.submittedPerMinute).toBe(0);
    expect(throughputOf([], totals).submittedPerMinute).toBe(0);
  });
});
