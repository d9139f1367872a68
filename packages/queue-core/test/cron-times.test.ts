// The due times of cron schedules (docs/decisions/0019): what TaskQueue computes with croner and
// stores for the functions, in time zones other than UTC and across daylight-saving changes.
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { cronTimes, parseCron } from '../src/_schedule-spec.js';

const iso = (times: number[]) => times.map((time) => new Date(time).toISOString());
const at = (text: string) => Date.parse(text);

describe('cron due times across daylight-saving changes', () => {
  it('Europe/Berlin spring forward: a fixed 02:30 runs at 03:00, the first time after the gap', () => {
    const { times } = cronTimes(parseCron('30 2 * * *', 'Europe/Berlin'), at('2026-03-27T12:00:00Z'), 3, null);
    expect(iso(times)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('Europe/Berlin fall back: a fixed 02:30 runs once, every 30 minutes runs at both 02:00 and both 02:30', () => {
    const fixed = cronTimes(parseCron('30 2 * * *', 'Europe/Berlin'), at('2026-10-24T12:00:00Z'), 2, null);
    expect(iso(fixed.times)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    const half = cronTimes(parseCron('*/30 * * * *', 'Europe/Berlin'), at('2026-10-24T23:45:00Z'), 6, null);
    // Local 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET (one hour apart in UTC between the pairs).
    expect(iso(half.times)).toEqual([
      '2026-10-25T00:00:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('America/New_York spring forward, with 6 fields (seconds first): the run in the gap is at 03:00:00 EDT', () => {
    const { times } = cronTimes(parseCron('15 30 2 * * *', 'America/New_York'), at('2026-03-07T00:00:00Z'), 3, null);
    expect(iso(times)).toEqual(['2026-03-07T07:30:15.000Z', '2026-03-08T07:00:00.000Z', '2026-03-09T06:30:15.000Z']);
  });

  it('gives the same times as the library itself, after the given time (exclusive)', () => {
    const from = at('2026-10-24T22:00:00Z');
    const ours = cronTimes(parseCron('*/20 1-3 * * *', 'Europe/Berlin'), from, 12, null).times;
    const library = new Cron('*/20 1-3 * * *', { timezone: 'Europe/Berlin' }).nextRuns(12, new Date(from)).map((date) => date.getTime());
    expect(ours).toEqual(library);
    expect(cronTimes(parseCron('0 * * * *', 'UTC'), at('2026-01-01T00:00:00Z'), 1, null).times).toEqual([at('2026-01-01T01:00:00Z')]);
  });

  it('stops at the end, and says when the times left are all there', () => {
    const hourly = parseCron('0 * * * *', 'UTC');
    expect(cronTimes(hourly, at('2026-01-01T00:00:00Z'), 5, at('2026-01-01T03:00:00Z'))).toEqual({
      times: [at('2026-01-01T01:00:00Z'), at('2026-01-01T02:00:00Z'), at('2026-01-01T03:00:00Z')], complete: true,
    });
    expect(cronTimes(hourly, at('2026-01-01T00:00:00Z'), 2, null).complete).toBe(false);
  });
});
