// The dashboard in a real Chromium, used as a person would: jobs submitted through the API appear and
// finish without a reload, a job's progress moves, cancel and retry work, tokens are asked for.
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type OpenBrowser } from './browser.js';
import { openGate, startSystem, submitJob, type System } from './system.js';

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

  it('lists jobs submitted through the API and shows them succeed without a reload, pushed, not re-read', async () => {
    const { page, foreign, violations } = await browser.newPage(system.url);
    const listReads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/jobs' && request.method() === 'GET') listReads.push(request.url());
    });
    await page.goto(`${system.url}/#/jobs`);
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    // The page reads the list once it shows, and once the change stream is open.
    await expect.poll(() => listReads.length).toBe(2);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await submitJob(system.url, { type: 'steps', params: { steps: 2, ms: 100 } })).id);
    ids.push((await submitJob(system.url, { type: 'doomed' })).id);
    // Pushed over GET /events: the rows come in and reach their end states by themselves, well within
    // the 10 s a re-read would take, and the list is not read again.
    for (const id of ids.slice(0, 3)) await page.locator(`tr[data-id="${id}"] td.status.succeeded`).waitFor({ timeout: 8_000 });
    await page.locator(`tr[data-id="${ids[3]}"] td.status.failed`).waitFor({ timeout: 8_000 });
    expect(listReads).toHaveLength(2);
    // A job that waits (no worker takes it for an hour) appears at once too: its creation is pushed.
    const waiting = await submitJob(system.url, { type: 'echo', delayMs: 3_600_000 });
    await page.locator(`tr[data-id="${waiting.id}"] td.status.delayed`).waitFor({ timeout: 5_000 });
    expect(listReads).toHaveLength(2);
    // Filter by status: only the failed one.
    await page.locator('select[name="status"]').selectOption('failed');
    await page.locator(`tr[data-id="${ids[3]}"]`).waitFor();
    // The row was already on the page before the filter: wait for the others to leave.
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    // A filtered list gains what enters the filter and loses what leaves it, live.
    await page.locator('select[name="status"]').selectOption('running');
    await expect.poll(() => page.locator('tbody tr').count()).toBe(0);
    const gated = await submitJob(system.url, { type: 'gated', params: { gate: 'filtered-list' } });
    await page.locator(`tr[data-id="${gated.id}"] td.status.running`).waitFor({ timeout: 8_000 });
    openGate('filtered-list');
    await page.locator(`tr[data-id="${gated.id}"]`).waitFor({ state: 'detached', timeout: 8_000 });
    await fetch(`${system.url}/jobs/${waiting.id}`, { method: 'DELETE' });
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
    // It would run for 20 s more and change the counts under the tests that follow.
    await fetch(`${system.url}/jobs/${job.id}`, { method: 'DELETE' });
    await page.getByTestId('job-status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
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

  it('shows a waiting job with its dependencies linked, and it runs once they have', async () => {
    // The dependency holds at a gate until the page has shown the wait: a timed sleep raced a slow page load.
    const first = await submitJob(system.url, { type: 'gated', params: { gate: 'dependency' } });
    const second = await submitJob(system.url, { type: 'echo', dependsOn: [first.id] });
    expect(second.status).toBe('waiting');
    const { page } = await browser.newPage(system.url);
    await page.goto(`${system.url}/#/jobs/${second.id}`);
    await page.getByTestId('job-status').filter({ hasText: 'waiting' }).waitFor({ timeout: 10_000 });
    await page.getByTestId('depends-on').getByRole('link', { name: first.id }).waitFor();
    openGate('dependency');
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
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

  it('lists schedules with their next due time and state; pause, resume, run now, set and delete them', async () => {
    const put = await fetch(`${system.url}/schedules/hourly-report`, {
      method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job: { type: 'wordcount', params: { text: 'a b a' } }, everyMs: 3_600_000 }),
    });
    expect(put.status).toBe(201);
    const { page, violations } = await browser.newPage(system.url);
    await page.goto(`${system.url}/`);
    await page.getByRole('link', { name: 'Schedules' }).click();
    const row = page.locator('tr[data-id="hourly-report"]');
    await row.getByTestId('state').filter({ hasText: 'active' }).waitFor();
    expect(await row.innerText()).toMatch(/wordcount\s+every 1h\s+.*in (59m|1h)/);

    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByTestId('state').filter({ hasText: 'paused' }).waitFor();
    expect(await row.locator('td').nth(3).innerText()).toBe('–');
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.getByTestId('state').filter({ hasText: 'active' }).waitFor();

    // Run now: the job it made is linked, and runs.
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('made').locator('a').click();
    await page.getByTestId('job-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('result').innerText()).toContain('"words": 3');
    const jobId = /#\/jobs\/([0-9A-Z]{26})$/.exec(page.url())?.[1];
    await page.goto(`${system.url}/#/schedules`);
    await row.locator(`a[href="#/jobs/${jobId}"]`).waitFor();

    // Set one from the page: checked before sending, then saved and listed.
    await page.locator('input[name="schedule-id"]').fill('every-minute');
    await page.locator('input[name="schedule-type"]').fill('echo');
    await page.locator('input[name="schedule-when"]').fill('500ms');
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('an interval must be at least 1s');
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.locator('input[name="schedule-when"]').fill('1m');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('tr[data-id="every-minute"]').filter({ hasText: 'every 1m' }).waitFor();
    await page.screenshot({ path: `${SHOTS}schedules.png` });
    // A cron expression the API refuses: its message, naming the field.
    await page.locator('input[name="schedule-when"]').fill('every tuesday');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.banner').filter({ hasText: 'cron' }).waitFor();

    for (const id of ['every-minute', 'hourly-report']) {
      await page.locator(`tr[data-id="${id}"]`).getByRole('button', { name: 'Delete' }).click();
      await page.locator(`tr[data-id="${id}"]`).waitFor({ state: 'detached' });
    }
    expect(await (await fetch(`${system.url}/schedules`)).json()).toEqual({ schedules: [], nextCursor: null });
    expect(violations).toEqual([]);
  });

  it('keeps the overview\'s counts live from the change stream', async () => {
    const { page } = await browser.newPage(system.url);
    const statsReads: number[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/stats') statsReads.push(Date.now());
    });
    await page.goto(`${system.url}/`);
    await expect.poll(() => page.locator('[data-status="succeeded"]').innerText()).not.toBe('…');
    const before = Number(await page.locator('[data-status="succeeded"]').innerText());
    const started = Date.now();
    const readsBefore = statsReads.length;
    await submitJob(system.url, { type: 'echo' });
    await expect.poll(() => page.locator('[data-status="succeeded"]').innerText(), { timeout: 8_000 }).toBe(String(before + 1));
    // Not from a re-read: /stats is read every 10 s, and no more often than that.
    expect(statsReads.length - readsBefore).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 10_000));
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
    // The change stream takes the read token too (access_token): a job submitted now appears.
    const later = await submitJob(system.url, { type: 'echo', delayMs: 3_600_000 }, 'full-token');
    await page.locator(`tr[data-id="${later.id}"]`).waitFor({ timeout: 8_000 });
    expect(await page.locator('form.submit').count()).toBe(0);
    await page.goto(`${system.url}/#/jobs/${job.id}`);
    await page.getByTestId('job-status').filter({ hasText: 'delayed' }).waitFor();
    expect(await page.getByRole('button').filter({ hasText: /Cancel|Retry|Submit|Pause/ }).count()).toBe(0);
  });

  it('the read token sees schedules but cannot change them', async () => {
    const put = await fetch(`${system.url}/schedules/read-only-view`, {
      method: 'PUT', headers: { 'content-type': 'application/json', authorization: 'Bearer full-token' }, body: JSON.stringify({ job: { type: 'echo' }, cron: '0 3 * * *' }),
    });
    expect(put.status).toBe(201);
    const page = await signIn('read-token');
    await page.getByTestId('read-only').waitFor();
    await page.goto(`${system.url}/#/schedules`);
    await page.locator('tr[data-id="read-only-view"]').filter({ hasText: '0 3 * * *' }).waitFor();
    expect(await page.locator('form.submit').count()).toBe(0);
    expect(await page.getByRole('button').filter({ hasText: /Pause|Resume|Run now|Delete|Save/ }).count()).toBe(0);
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
