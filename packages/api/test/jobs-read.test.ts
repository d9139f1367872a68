import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Job as JobSchema, JobList } from '../src/internal/schemas.js';
import { call, startApi, TestConsumer, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** A fresh API and queue with a consumer, for tests that need to know which job comes next. */
async function withWorker(test: (local: TestApi, consumer: TestConsumer) => Promise<void>): Promise<void> {
  const local = await startApi();
  const consumer = new TestConsumer(local.redis, local.prefix, local.queue);
  try {
    await test(local, consumer);
  } finally {
    await consumer.close();
    await local.close();
  }
}

const submit = async (body: Record<string, unknown>) => (await call(api.base, 'POST', '/jobs', { body })).body;
const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('GET /jobs/:id', () => {
  it('answers the job, 404 for an unknown id, 400 for a malformed one', async () => {
    const job = await submit({ type: 'echo' });
    const found = await call(api.base, 'GET', `/jobs/${job.id}`);
    expect(found.status).toBe(200);
    expect(JobSchema.parse(found.body)).toEqual(job);
    const missing = await call(api.base, 'GET', `/jobs/${MISSING}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    for (const bad of ['nope', job.id.toLowerCase(), `${job.id}X`, 'I'.repeat(26), '%E0%A4%A', '..%2F..%2Fetc']) {
      const answer = await call(api.base, 'GET', `/jobs/${bad}`);
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
    const query = await call(api.base, 'GET', `/jobs/${job.id}?x=1`);
    expect(query.status).toBe(400);
  });
});

describe('GET /jobs', () => {
  it('lists newest first with status and type filters', async () => {
    const local = await startApi();
    try {
      const ids: string[] = [];
      for (const type of ['a', 'b', 'a', 'c']) ids.push((await call(local.base, 'POST', '/jobs', { body: { type } })).body.id);
      await call(local.base, 'POST', '/jobs', { body: { type: 'a', delayMs: 60_000 } });
      const all = await call(local.base, 'GET', '/jobs');
      expect(all.status).toBe(200);
      expect(JobList.parse(all.body).jobs).toHaveLength(5);
      expect(all.body.nextCursor).toBeNull();
      const ordered = all.body.jobs.map((job: { id: string }) => job.id);
      expect(ordered).toEqual([...ordered].sort().reverse());
      const typeA = await call(local.base, 'GET', '/jobs?type=a');
      expect(typeA.body.jobs.map((job: { type: string }) => job.type)).toEqual(['a', 'a', 'a']);
      const delayed = await call(local.base, 'GET', '/jobs?status=delayed');
      expect(delayed.body.jobs).toHaveLength(1);
      const both = await call(local.base, 'GET', '/jobs?status=queued&type=a');
      expect(both.body.jobs.map((job: { id: string }) => job.id)).toEqual([ids[2], ids[0]]);
    } finally {
      await local.close();
    }
  });

  it('pages with cursors while jobs are being added: no job twice, none skipped', async () => {
    const local = await startApi();
    try {
      const first: string[] = [];
      for (let i = 0; i < 23; i += 1) first.push((await call(local.base, 'POST', '/jobs', { body: { type: 'page' } })).body.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { status: number; body: { jobs: Array<{ id: string }>; nextCursor: string | null } } = await call(
          local.base, 'GET', `/jobs?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.jobs.length).toBeLessThanOrEqual(5);
        seen.push(...page.body.jobs.map((job) => job.id));
        cursor = page.body.nextCursor;
        pages += 1;
        // New jobs arrive while we page: they are newer than the cursor, so they belong to page one.
        await call(local.base, 'POST', '/jobs', { body: { type: 'page' } });
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen).toEqual([...first].reverse());
    } finally {
      await local.close();
    }
  });

  it('refuses out-of-range and unknown query values with 400', async () => {
    const bad = [
      'limit=0', 'limit=1001', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=', 'limit=1e2', 'limit=%201',
      'status=done', 'status=QUEUED', 'type=Bad', 'type=', 'cursor=', 'page=2', 'limit=5&limit=6', 'status[]=queued', 'access_token=x',
    ];
    for (const query of bad) {
      const answer = await call(api.base, 'GET', `/jobs?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
    const message = (await call(api.base, 'GET', '/jobs?limit=5000')).body.error.message;
    expect(message).toBe('query parameter limit: must be an integer from 1 to 1000');
    expect((await call(api.base, 'GET', '/jobs?limit=5&limit=6')).body.error.message).toBe('query parameter limit: must be given once');
    const unknown = (await call(api.base, 'GET', '/jobs?page=2')).body.error.message;
    expect(unknown).toContain('page');
    for (const query of ['limit=1', 'limit=1000', 'limit=0050']) {
      expect((await call(api.base, 'GET', `/jobs?${query}`)).status, query).toBe(200);
    }
  });

  it('refuses a malformed cursor with 400', async () => {
    const answer = await call(api.base, 'GET', '/jobs?cursor=not-a-cursor');
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toContain('cursor');
  });
});

describe('GET /jobs/:id/result', () => {
  it('answers a JSON result as JSON', async () => {
    await withWorker(async (local, consumer) => {
      for (const value of [{ words: 3, top: [['a', 2]] }, [1, 2, 3], 'text', 42, null, true]) {
        const job = (await call(local.base, 'POST', '/jobs', { body: { type: 'echo' } })).body;
        const message = await consumer.take();
        expect(message.id).toBe(job.id);
        expect(await consumer.succeed(message, value)).toBe(true);
        const answer = await call(local.base, 'GET', `/jobs/${job.id}/result`);
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
        expect(answer.body ?? JSON.parse(answer.text)).toEqual(value);
        // The job object never carries the result.
        const record = await call(local.base, 'GET', `/jobs/${job.id}`);
        expect(record.body.status).toBe('succeeded');
        expect(record.body).not.toHaveProperty('result');
      }
    });
  });

  it('answers bytes with their content type, sandboxed', async () => {
    await withWorker(async (local, consumer) => {
      const job = (await call(local.base, 'POST', '/jobs', { body: { type: 'render' } })).body;
      const message = await consumer.take();
      expect(message.id).toBe(job.id);
      const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
      await consumer.succeed(message, { contentType: 'image/png', data: png });
      const response = await fetch(`${local.base}/jobs/${job.id}/result`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('content-security-policy')).toContain('sandbox');
      expect(Buffer.from(await response.arrayBuffer())).toEqual(png);
    });
  });

  it('is 409 with status (and error) for a job that did not succeed, 404 for an unknown one', async () => {
    await withWorker(async (local, consumer) => {
      const delayed = (await call(local.base, 'POST', '/jobs', { body: { type: 'echo', delayMs: 60_000 } })).body;
      const early = await call(local.base, 'GET', `/jobs/${delayed.id}/result`);
      expect(early.status).toBe(409);
      expect(early.body.error).toMatchObject({ code: 'conflict', details: { status: 'delayed' } });

      const failing = (await call(local.base, 'POST', '/jobs', { body: { type: 'fail' } })).body;
      const message = await consumer.take();
      expect(message.id).toBe(failing.id);
      const running = await call(local.base, 'GET', `/jobs/${failing.id}/result`);
      expect(running.body.error.details).toEqual({ status: 'running' });
      await consumer.fail(message, 'boom', 'handler_error');
      const failed = await call(local.base, 'GET', `/jobs/${failing.id}/result`);
      expect(failed.status).toBe(409);
      expect(failed.body.error.details).toEqual({ status: 'failed', error: { message: 'boom', code: 'handler_error' } });
    });
    expect((await call(api.base, 'GET', `/jobs/${MISSING}/result`)).status).toBe(404);
    expect((await call(api.base, 'GET', '/jobs/zzz/result')).status).toBe(400);
  });
});
