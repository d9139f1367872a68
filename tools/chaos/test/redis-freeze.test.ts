// Redis frozen for 10 s under load (SIGSTOP: connections stay open and nothing answers, as in a
// network partition or a stalled host), with the real hotq-api and two hotq-worker processes: the
// API answers 503 once its command timeout passes (never hangs), and recovers by itself; the workers'
// leases run out on Redis's clock while it is frozen, so jobs are handed out again and late
// completions are refused. Every accepted job still ends exactly once. Unlike a stopped Redis, a
// frozen one may apply a submission after the API answered it 503 (the command was already sent):
// the client's idempotency key is what makes resending it safe, and the run counts how often that
// happened.
import { describe, expect, it } from 'vitest';
import { logLines, runOutage } from './_outage.js';

describe('Redis frozen for 10 s under load', () => {
  it('503 after the command timeout, recovery by itself, and every accepted job ends exactly once', async () => {
    const run = await runOutage('freeze');
    // Requests sent while Redis was frozen: the ones whose command timeout ran out before the thaw.
    const frozen = run.answers.filter((answer) => answer.at >= run.faultAt + 5 && answer.at < run.restoredAt);
    const timedOut = frozen.filter((answer) => answer.at + 5_500 < run.restoredAt && answer.op !== 'ready');
    const after = run.answers.filter((answer) => answer.at >= run.restoredAt + 1_000);
    const summary = `${run.accepted.size} accepted, ${run.resent} resent, ${run.appliedDespite503} applied despite 503; ` +
      `sent during the freeze: ${frozen.length} ${JSON.stringify(count(frozen.map((answer) => answer.status)))}, slowest ${Math.max(...frozen.map((answer) => answer.ms))} ms`;
    console.log(summary);

    // Every request got an answer, bounded by the API's command timeout (5 s by default; the probe's is 2 s);
    // those whose timeout ran out before the thaw got 503.
    expect(frozen.length).toBeGreaterThan(4);
    expect(frozen.filter((answer) => answer.status === 0 || answer.ms > 6_500), summary).toEqual([]);
    expect(timedOut.length, summary).toBeGreaterThanOrEqual(2);
    // The run's own probes, sent 0.05, 1 and 2 s into the freeze, all waited out the timeout.
    expect(timedOut.filter((answer) => answer.op === 'probe').map((answer) => answer.status), summary).toEqual([503, 503, 503]);
    expect(timedOut.filter((answer) => answer.status !== 503), summary).toEqual([]);
    expect(frozen.filter((answer) => answer.op === 'ready' && answer.status !== 503)).toEqual([]);
    expect(run.answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);
    // A submission answered 503 was still applied once Redis thawed (its command had been sent):
    // resending it with the same idempotency key answered 200 with that job instead of making another.
    expect(run.appliedDespite503, summary).toBeGreaterThan(0);

    expect(after.some((answer) => answer.op === 'submit' && answer.status === 201), summary).toBe(true);
    expect(after.filter((answer) => answer.op === 'ready').at(-1)?.status).toBe(200);
    expect(run.allAlive).toBe(true);
    expect(logLines(run.apiOutput).filter((line) => line.level >= 50)).toEqual([]);

    expect([...run.records.keys()].sort()).toEqual([...run.accepted.keys()].sort());
    for (const [id, record] of run.records) {
      expect(['succeeded', 'failed', 'cancelled'], id).toContain(record.status);
      expect(run.commits.finished.get(id), id).toEqual([record.status]);
    }
    expect(run.stats.throughput.totals.put).toBe(run.accepted.size);
    expect(run.stats.queue).toMatchObject({ ready: 0, delayed: 0, leased: 0 });
  }, 90_000);
});

function count(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
