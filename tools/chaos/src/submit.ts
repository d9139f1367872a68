import { randomUUID } from 'node:crypto';

/** The kinds of job the chaos run submits; each stresses one path (see handlers.ts). */
export type Kind = 'quick' | 'slow' | 'flaky' | 'doomed' | 'cancel' | 'link';

/** A job the API accepted, what kind it is, and (for `cancel`) how its cancellation was answered. */
export interface Submitted {
  id: string;
  kind: Kind;
  maxAttempts: number;
  /**
   * DELETE's answer: 200 cancelled while queued (or, for a job already over, `deleted`: DELETE of a
   * finished job deletes it), 202 asked to stop while running.
   */
  cancel?: { status: number; ambiguous: boolean; deleted: boolean };
  /** A link of a dependency chain: the job it waits on (the one before it in the chain). */
  after?: string;
}

/** What the submitters saw. */
export interface SubmitStats {
  /** Submissions answered 503 or not at all (Redis or the API away), sent again with the same idempotency key. */
  resent: number;
  /** Resent submissions answered 200: the first attempt had been applied although its answer was lost. */
  recovered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Priorities from -10 to 10, spread over the jobs of every kind (none with --plain). */
function bodyFor(index: number, plain: boolean): { kind: Kind; body: Record<string, unknown> } {
  const made = kindFor(index);
  return plain ? made : { ...made, body: { ...made.body, priority: ((index * 7) % 21) - 10 } };
}

function kindFor(index: number): { kind: Kind; body: Record<string, unknown> } {
  if (index % 20 === 7) return { kind: 'cancel', body: { type: 'slow', params: { ms: 1_500 }, maxAttempts: 5 } };
  const roll = index % 10;
  if (roll < 6) return { kind: 'quick', body: { type: 'quick', params: { n: index }, maxAttempts: 5 } };
  if (roll < 8) return { kind: 'slow', body: { type: 'slow', params: { ms: 100 + (index % 5) * 100 }, maxAttempts: 5 } };
  if (roll < 9) return { kind: 'flaky', body: { type: 'flaky', params: {}, maxAttempts: 5 } };
  return { kind: 'doomed', body: { type: 'doomed', params: {}, maxAttempts: 2 } };
}

// One submission in 25 (unless plain) is a chain of three jobs, each waiting on the one before,
// submitted as one batch; every other chain's middle link is doomed, so its last link must fail with
// dependency_failed. The chain takes the places of the next two submissions.
const CHAIN_EVERY = 25;
const chainStart = (index: number): number => index - (index % CHAIN_EVERY) + 12;
const startsChain = (index: number, count: number, plain: boolean): boolean => !plain && index % CHAIN_EVERY === 12 && index + 2 < count;
const insideChain = (index: number, count: number, plain: boolean): boolean =>
  !plain && [13, 14].includes(index % CHAIN_EVERY) && startsChain(chainStart(index), count, plain);

/** Sends a request again until it gets an answer other than 503 (Redis away) or no answer (the API away). */
async function untilAnswered(send: () => Promise<Response>, onRetry: () => void): Promise<Response> {
  for (;;) {
    const response = await send().catch(() => undefined);
    if (response && response.status !== 503) return response;
    if (response) await response.body?.cancel();
    onRetry();
    await sleep(200);
  }
}

/**
 * Submits `count` jobs, 16 at a time and spread over at least `spreadMs`, to whichever API `base()`
 * names at the time (the API may be killed and replaced meanwhile). Each carries an idempotency key, so a submission answered 503 or not
 * at all is simply sent again until accepted, and never makes a second job. One job in twenty is
 * cancelled (DELETE) a moment after it is accepted, while it is queued or running. Unless `plain`,
 * the jobs carry priorities from -10 to 10.
 */
export async function submitAll(base: () => string, count: number, spreadMs: number, log: (line: string) => void, plain = false): Promise<{ jobs: Submitted[]; stats: SubmitStats }> {
  const accepted: Submitted[] = [];
  const begun = Date.now();
  const cancels: Array<Promise<void>> = [];
  const stats: SubmitStats = { resent: 0, recovered: 0 };
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      // Paced over spreadMs at least, so that the faults happen while submissions are coming in.
      const due = begun + (index * spreadMs) / count;
      if (due > Date.now()) await sleep(due - Date.now());
      if (insideChain(index, count, plain)) continue;
      if (startsChain(index, count, plain)) {
        accepted.push(...(await submitChain(base, index, stats)));
        continue;
      }
      const { kind, body } = bodyFor(index, plain);
      const idempotencyKey = randomUUID();
      let resent = false;
      const response = await untilAnswered(
        () => fetch(`${base()}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, idempotencyKey }) }),
        () => {
          resent = true;
          stats.resent += 1;
        },
      );
      if (response.status !== 201 && response.status !== 200) throw new Error(`POST /jobs answered ${response.status}: ${await response.text()}`);
      if (response.status === 200) {
        if (!resent) throw new Error('POST /jobs answered 200 (an existing job) to a key never sent before');
        stats.recovered += 1;
      }
      const job = (await response.json()) as { id: string };
      const submitted: Submitted = { id: job.id, kind, maxAttempts: body.maxAttempts as number };
      accepted.push(submitted);
      if (kind === 'cancel') cancels.push(cancelLater(base, submitted, (index * 37) % 1_500));
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  await Promise.all(cancels);
  log(`${stats.resent} submission(s) resent while Redis or the API was away (${stats.recovered} of them had been applied already: answered 200 with the same job)`);
  return { jobs: accepted, stats };
}

/** A chain of three (quick, quick or doomed, quick), each waiting on the one before: one batch. */
async function submitChain(base: () => string, index: number, stats: SubmitStats): Promise<Submitted[]> {
  const doomed = index % (2 * CHAIN_EVERY) === 12;
  const items = [
    { type: 'quick', params: { n: index }, maxAttempts: 5 },
    doomed ? { type: 'doomed', params: {}, maxAttempts: 2, dependsOn: [0] } : { type: 'quick', params: { n: index + 1 }, maxAttempts: 5, dependsOn: [0] },
    { type: 'quick', params: { n: index + 2 }, maxAttempts: 5, dependsOn: [1] },
  ].map((item) => ({ ...item, idempotencyKey: randomUUID() }));
  const response = await untilAnswered(
    () => fetch(`${base()}/jobs/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jobs: items }) }),
    () => (stats.resent += 1),
  );
  if (response.status !== 201) throw new Error(`POST /jobs/batch answered ${response.status}: ${await response.text()}`);
  const ids = ((await response.json()) as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
  return [
    { id: ids[0]!, kind: 'quick', maxAttempts: 5 },
    { id: ids[1]!, kind: doomed ? 'doomed' : 'link', maxAttempts: doomed ? 2 : 5, after: ids[0]! },
    { id: ids[2]!, kind: 'link', maxAttempts: 5, after: ids[1]! },
  ];
}

async function cancelLater(base: () => string, job: Submitted, delayMs: number): Promise<void> {
  await sleep(delayMs);
  let ambiguous = false;
  const response = await untilAnswered(
    () => fetch(`${base()}/jobs/${job.id}`, { method: 'DELETE' }),
    // A DELETE that got no answer, or 503, may still have been applied: its successor's answer is then not the whole story.
    () => (ambiguous = true),
  );
  const answer = (await response.json().catch(() => ({}))) as { deleted?: boolean };
  if (![200, 202, 409].includes(response.status)) throw new Error(`DELETE /jobs/${job.id} answered ${response.status}`);
  job.cancel = { status: response.status, ambiguous, deleted: response.status === 200 && answer.deleted === true };
}
