// The dashboard in a real Chromium, used as a person would: jobs submitted through the API appear and
// finish without a reload, a job's progress moves, cancel and retry work, tokens are asked for.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type OpenBrowser } from './browser.js';
import { startSystem, submitJob, type System } from './system.js';

const SHOTS = new URL('../screenshots/', import.meta.url).pathname;
let browser: OpenBrowser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await openBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the dashboard, no tokens', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem();
  });
  afterAll(async () => {
    await system?.close();
  });

  it('lists jobs submitted through the API and shows them succeed without a reload', async () => {
    const { page, foreign, violations } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await submitJob(system.url, { type: 'steps', params: { steps: 2, ms: 100 } })).id);
    ids.push((await submitJob(system.url, { type: 'doomed' })).id);
    // The first page re-reads every 10 s: the rows come in and reach their end states by themselves.
    for (const id of ids.slice(0, 3)) await page.locator(`tr[data-id="${id}"] td.status.succeeded`).waitFor({ timeout: 25_000 });
    await page.locator(`tr[data-id="${ids[3]}"] td.status.failed`).waitFor({ timeout: 25_000 });
    // Filter by status: only the failed one.
    await page.locator('select[name="status"]').selectOption('failed');
    await page.locator(`tr[data-id="${ids[3]}"]`).waitFor();
    // The row was already on the page before the filter: wait for the others to leave.
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(foreign, `requests to other origins: ${foreign.join(", ")}`).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('pages through jobs with the cursor', async () => {
    for (let i = 0; i < 30; i += 1) await submitJob(system.url, { type: 'echo', delayMs: 3_600_000, params: { i } });
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs?status=delayed`);
    await expect.poll(() => page.locator('table[data-testid="jobs"] tbody tr').count(), { timeout: 10_000 }).toBe(25);
    const newest = await page.locator('tbody tr').first().getAttribute('data-id');
    await page.getByRole('button', { name: 'older →' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(5);
    await page.getByRole('button', { name: '← newer' }).click();
    await expect.poll(() => page.locator('tbody tr').first().getAttribute('data-id')).toBe(newest);
  });

  it("shows a job's progress move over its event stream, then its result", async () => {
    const job = await submitJob(system.url, { type: 'steps', params: { steps: 8, ms: 400 } });
    const { page, violations } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs/${job.id}`);
    const progress = page.getByTestId('progress');
    // A value strictly between 0 and 100 is seen, then the end.
    await expect.poll(async () => Number(/(\d+)%/.exec(await progress.innerText())?.[1] ?? 0), { timeout: 10_000 }).toBeGreaterThan(0);
    const midway = Number(/(\d+)%/.exec(await progress.innerText())?.[1]);
    expect(midway).toBeLessThan(100);
    await page.screenshot({ path: `${SHOTS}job-running.png` });
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('result').innerText()).toContain('"steps": 8');
    await page.screenshot({ path: `${SHOTS}job.png` });
    expect(violations).toEqual([]);
  });

  it('cancels a running job and retries it', async () => {
    const job = await submitJob(system.url, { type: 'steps', params: { steps: 100, ms: 200 } });
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs/${job.id}`);
    await page.getByTestId('job-status').filter({ hasText: 'running' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByTestId('job-status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('job-status').filter({ hasText: /queued|running/ }).waitFor({ timeout: 10_000 });
  });

  it('validates params before submitting, then submits', async () => {
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs`);
    await page.locator('input[name="submit-type"]').fill('wordcount');
    await page.locator('textarea[name="submit-params"]').fill('{"text": "a b a"');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('not valid JSON');
    expect(await page.getByRole('button', { name: 'Submit' }).isDisabled()).toBe(true);
    await page.locator('textarea[name="submit-params"]').fill('[1]');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('must be a JSON object');
    await page.locator('textarea[name="submit-params"]').fill('{"text": "a b a"}');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.locator('form.submit a').click();
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('result').innerText()).toContain('"words": 3');
  });

  it('submits with a priority (checked before sending) and shows it on the job page', async () => {
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs`);
    await page.locator('input[name="submit-type"]').fill('echo');
    await page.locator('input[name="submit-priority"]').fill('101');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('priority must be an integer from -100 to 100');
    expect(await page.getByRole('button', { name: 'Submit' }).isDisabled()).toBe(true);
    await page.locator('input[name="submit-priority"]').fill('-7');
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.locator('form.submit a').click();
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
    await page.getByRole('row', { name: 'priority -7' }).waitFor();
  });

  it('shows the limits in force on the overview', async () => {
    const put = await fetch(`${system.url}/limits/type/render`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rate: { count: 50, perMs: 1000 }, concurrency: 3 }) });
    expect(put.status).toBe(200);
    try {
      const { page } = await browser.newPage(system.url);
      await page.goto(`${system.url}/`);
      await page.getByTestId('limits').getByRole('row', { name: 'type:render 50 per 1000 ms 0 3 0' }).waitFor();
    } finally {
      await fetch(`${system.url}/limits/type/render`, { method: 'DELETE' });
    }
  });

  it('shows counts, depths, workers and the chart, and the operator actions this API offers', async () => {
    const { page, violations } = await browser.newPage(system.url);
    await page.goto(`${system.url}/`);
    await expect.poll(() => page.locator('[data-status="succeeded"]').innerText()).not.toBe('…');
    const succeeded = Number(await page.locator('[data-status="succeeded"]').innerText());
    expect(succeeded).toBeGreaterThanOrEqual(5);
    await page.getByText(system.worker.id).waitFor();
    await page.locator('.uplot canvas').waitFor();
    await page.getByRole('button', { name: /Pause queue|Resume queue/ }).first().waitFor();
    await page.goto(`${system.url}/#/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByRole('button', { name: /Retry failed|Delete finished/ }).first().waitFor();
    await page.goto(`${system.url}/`);
    await page.getByText(system.worker.id).waitFor();
    await expect.poll(() => page.locator('[data-status="succeeded"]').innerText()).toBe(String(succeeded));
    await page.screenshot({ path: `${SHOTS}overview.png` });
    expect(violations).toEqual([]);
  });
});

describe('the dashboard with tokens', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ apiToken: 'full-token', readToken: 'read-token' });
  });
  afterAll(async () => {
    await system?.close();
  });

  const signIn = async (token: string) => {
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/`);
    await page.getByRole('alert').filter({ hasText: 'This API needs a token.' }).waitFor();
    await page.locator('input[name="token"]').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    return page;
  };

  it('a wrong token gets a clear message', async () => {
    const page = await signIn('not-the-token');
    await page.getByRole('alert').filter({ hasText: 'That token is not valid for this API.' }).waitFor();
  });

  it('the read token sees jobs but no write control', async () => {
    const job = await submitJob(system.url, { type: 'echo', delayMs: 3_600_000 }, 'full-token');
    const page = await signIn('read-token');
    await page.getByTestId('read-only').waitFor();
    await page.goto(`${system.url}/#/jobs`);
    await page.locator(`tr[data-id="${job.id}"]`).waitFor();
    expect(await page.locator('form.submit').count()).toBe(0);
    await page.goto(`${system.url}/#/jobs/${job.id}`);
    await page.getByTestId('job-status').filter({ hasText: 'delayed' }).waitFor();
    expect(await page.getByRole('button').filter({ hasText: /Cancel|Retry|Submit|Pause/ }).count()).toBe(0);
  });

  it('the full token may write, and follows a job over the stream with access_token', async () => {
    const page = await signIn('full-token');
    await page.goto(`${system.url}/#/jobs`);
    await page.locator('form.submit').waitFor();
    expect(await page.getByTestId('read-only').count()).toBe(0);
    const job = await submitJob(system.url, { type: 'steps', params: { steps: 2, ms: 100 } }, 'full-token');
    await page.goto(`${system.url}/#/jobs/${job.id}`);
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 10_000 });
  });
});

describe('the dashboard of a partitioned queue', () => {
  let system: System;
  beforeAll(async () => {
    system = await startSystem({ partitions: 3, noWorker: true });
  });
  afterAll(async () => {
    await system?.close();
  });

  it('shows the queue as one, and each partition on request', async () => {
    for (let n = 0; n < 6; n += 1) await submitJob(system.url, { type: 'echo', params: { n } });
    const { page, foreign, violations } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/`);
    await page.locator('[data-testid="counts"] [data-status="queued"]').filter({ hasText: '6' }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('partitions').count()).toBe(0);
    await page.getByTestId('toggle-partitions').click();
    await page.locator('[data-testid="partitions"] tr[data-partition="2"]').waitFor({ timeout: 15_000 });
    const rows = await page.locator('[data-testid="partitions"] tbody tr').allInnerTexts();
    // Spread in turn: two ready jobs in each partition.
    expect(rows.map((row) => row.split('\t').slice(0, 2))).toEqual([['0', '2'], ['1', '2'], ['2', '2']]);
    await page.screenshot({ path: `${SHOTS}partitions.png` });
    expect(foreign).toEqual([]);
    expect(violations).toEqual([]);
  });
});
