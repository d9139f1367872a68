import { randomUUID } from 'node:crypto';

/** A job the API accepted, and what kind it is. */
export interface Submitted {
  id: string;
  kind: 'quick' | 'slow' | 'flaky' | 'doomed';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function bodyFor(index: number): { kind: Submitted['kind']; body: Record<string, unknown> } {
  const roll = index % 10;
  if (roll < 6) return { kind: 'quick', body: { type: 'quick', params: { n: index }, maxAttempts: 5 } };
  if (roll < 8) return { kind: 'slow', body: { type: 'slow', params: { ms: 100 + (index % 5) * 100 }, maxAttempts: 5 } };
  if (roll < 9) return { kind: 'flaky', body: { type: 'flaky', params: {}, maxAttempts: 5 } };
  return { kind: 'doomed', body: { type: 'doomed', params: {}, maxAttempts: 2 } };
}

/**
 * Submits `count` jobs, 16 at a time. Each carries an idempotency key, so a submission answered
 * with an error (Redis restarting) is simply sent again until accepted, and never doubles a job.
 */
export async function submitAll(base: string, count: number, log: (line: string) => void): Promise<Submitted[]> {
  const accepted: Submitted[] = [];
  let next = 0;
  let retries = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const { kind, body } = bodyFor(index);
      const idempotencyKey = randomUUID();
      for (;;) {
        const response = await fetch(`${base}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...body, idempotencyKey }),
        }).catch(() => undefined);
        if (response && (response.status === 201 || response.status === 200)) {
          const job = (await response.json()) as { id: string };
          accepted.push({ id: job.id, kind });
          break;
        }
        if (response && response.status !== 503) throw new Error(`POST /jobs answered ${response.status}: ${await response.text()}`);
        retries += 1;
        await sleep(200);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  if (retries > 0) log(`${retries} submission(s) retried while Redis was away`);
  return accepted;
}
