// Redis unreachable for 10 s under load (stopped: connections refused), with the real hotq-api and
// two hotq-worker processes on a private redis-server: meanwhile the API answers 503, quickly, to
// every submission and read, and /readyz is 503; afterwards it recovers by itself, the workers resume
// by themselves, and every accepted job ends in exactly one terminal state (one terminal commit each
// in the append-only file), with no job the client was not told about.
import { describe, expect, it } from 'vitest';
import { logLines, runOutage } from './_outage.js';

describe('Redis stopped for 10 s under load', () => {
  it('503 meanwhile, recovery by itself, and every accepted job ends exactly once', async () => {
    const run = await runOutage('stop');
    const during = run.answers.filter((answer) => answer.at >= run.faultAt + 1_000 && answer.at + answer.ms <= run.restoredAt);
    const after = run.answers.filter((answer) => answer.at >= run.restoredAt);
    const summary = `${run.accepted.size} accepted, ${run.resent} resent, ${run.appliedDespite503} applied despite 503; ` +
      `during the outage: ${during.length} answers ${JSON.stringify(count(during.map((answer) => answer.status)))}, slowest ${Math.max(...during.map((answer) => answer.ms))} ms`;
    console.log(summary);

    // Meanwhile: every request answered, and answered 503 (the probe too), without waiting long.
    expect(during.filter((answer) => answer.op === 'submit').length).toBeGreaterThan(20);
    expect(during.filter((answer) => answer.op === 'read').length).toBeGreaterThan(5);
    expect(during.filter((answer) => answer.status !== 503), summary).toEqual([]);
    expect(Math.max(...during.map((answer) => answer.ms))).toBeLessThan(6_000);
    expect(run.answers.filter((answer) => answer.status >= 500 && answer.status !== 503)).toEqual([]);

    // Afterwards: submissions accepted again within seconds, without restarting anything.
    const firstAccepted = after.find((answer) => answer.op === 'submit' && answer.status === 201);
    expect(firstAccepted, summary).toBeDefined();
    expect(firstAccepted!.at - run.restoredAt).toBeLessThan(10_000);
    expect(after.filter((answer) => answer.op === 'ready').at(-1)?.status).toBe(200);
    expect(run.allAlive).toBe(true);
    for (const output of run.workerOutputs) {
      const messages = logLines(output).map((line) => line.msg);
      expect(messages.some((msg) => /Redis is unreachable/.test(msg)), output.slice(-2_000)).toBe(true);
      expect(messages.some((msg) => /reachable again/.test(msg)), output.slice(-2_000)).toBe(true);
    }
    expect(logLines(run.apiOutput).filter((line) => line.level >= 50)).toEqual([]);

    // No job lost, none doubled, none the client was not told about.
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
