import { describe, expect, it } from 'vitest';
import { call, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

const MISSING = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

async function withWorker(test: (api: TestApi, consumer: TestConsumer) => Promise<void>): Promise<void> {
  const api = await startApi();
  const consumer = new TestConsumer(api.redis, api.prefix, api.queue);
  try {
    await test(api, consumer);
  } finally {
    await consumer.close();
    await api.close();
  }
}

const submit = async (api: TestApi, body: Record<string, unknown>) => (await call(api.base, 'POST', '/jobs', { body })).body;

describe('DELETE /jobs/:id', () => {
  it('cancels a queued job: 200 with the job, and no worker gets it', async () => {
    await withWorker(async (api, consumer) => {
      const job = await submit(api, { type: 'echo' });
      const answer = await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: job.id, status: 'cancelled' });
      expect(answer.body.finishedAt).not.toBeNull();
      expect((await consumer.queue.reserve()).messages).toHaveLength(0);
    });
  });

  it('cancels a delayed job: 200', async () => {
    await withWorker(async (api) => {
      const job = await submit(api, { type: 'echo', delayMs: 60_000 });
      const answer = await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('cancelled');
    });
  });

  it('asks a running job to stop: 202, and the worker learns it at its next heartbeat', async () => {
    await withWorker(async (api, consumer) => {
      const job = await submit(api, { type: 'sleep', params: { ms: 10_000 } });
      const message = await consumer.take();
      const answer = await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({ id: job.id, status: 'running' });
      const [beat] = await consumer.queue.extend([message]);
      expect(beat).toMatchObject({ held: true, cancelRequested: true });
      // Asking again is harmless.
      expect((await call(api.base, 'DELETE', `/jobs/${job.id}`)).status).toBe(202);
      // The worker ends it as cancelled through the fenced path.
      expect(await consumer.queue.ack(message, { hook: 'cancel', vars: consumer.store.failure({ message: 'cancelled', code: 'cancelled' }).vars })).toBe(true);
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body.status).toBe('cancelled');
    });
  });

  it('deletes a finished job for good: 200 { id, deleted: true }, then 404; a failed and a cancelled one too', async () => {
    await withWorker(async (api, consumer) => {
      const job = await submit(api, { type: 'echo', params: { text: 'x'.repeat(100) } });
      await consumer.runOne({ ok: 'y'.repeat(100) });
      const answer = await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: job.id, deleted: true });
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).status).toBe(404);
      expect((await call(api.base, 'GET', `/jobs/${job.id}/result`)).status).toBe(404);
      expect((await call(api.base, 'DELETE', `/jobs/${job.id}`)).status).toBe(404);
      expect([...(await snapshot(api.redis, api.keyBase)).keys()].filter((key) => key.includes(job.id))).toEqual([]);

      const failed = await submit(api, { type: 'echo', maxAttempts: 1 });
      await consumer.fail(await consumer.take(), 'boom');
      const cancelled = await submit(api, { type: 'echo', delayMs: 60_000 });
      expect((await call(api.base, 'DELETE', `/jobs/${cancelled.id}`)).body.status).toBe('cancelled');
      for (const id of [failed.id, cancelled.id]) expect((await call(api.base, 'DELETE', `/jobs/${id}`)).body).toEqual({ id, deleted: true });
      const stats = (await call(api.base, 'GET', '/stats')).body;
      expect(stats.counts).toMatchObject({ succeeded: 0, failed: 0, cancelled: 0 });
      expect(stats.queue.dead).toBe(0);
    });
  });

  it('is 404 for an unknown job and 400 for a malformed id, writing nothing', async () => {
    await withWorker(async (api) => {
      await submit(api, { type: 'echo' });
      const before = await snapshot(api.redis, api.keyBase);
      expect((await call(api.base, 'DELETE', `/jobs/${MISSING}`)).status).toBe(404);
      expect((await call(api.base, 'DELETE', '/jobs/not-an-id')).status).toBe(400);
      expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
    });
  });

  it('takes no body, or an empty JSON object', async () => {
    await withWorker(async (api) => {
      const job = await submit(api, { type: 'echo', delayMs: 60_000 });
      const withBody = await call(api.base, 'DELETE', `/jobs/${job.id}`, { body: { force: true } });
      expect(withBody.status).toBe(400);
      const text = await call(api.base, 'DELETE', `/jobs/${job.id}`, { raw: 'please', headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(415);
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body.status).toBe('delayed');
      expect((await call(api.base, 'DELETE', `/jobs/${job.id}`, { body: {} })).status).toBe(200);
    });
  });
});

describe('POST /jobs/:id/retry', () => {
  it('re-queues a failed job with attempts reset; a worker runs it again', async () => {
    await withWorker(async (api, consumer) => {
      const job = await submit(api, { type: 'flaky', maxAttempts: 1 });
      const message = await consumer.take();
      await consumer.fail(message, 'first try failed');
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body).toMatchObject({ status: 'failed', attempts: 1 });
      const answer = await call(api.base, 'POST', `/jobs/${job.id}/retry`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: job.id, status: 'queued', attempts: 0 });
      const again = await consumer.take();
      expect(again.id).toBe(job.id);
      await consumer.succeed(again, { ok: true });
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body.status).toBe('succeeded');
    });
  });

  it('re-queues a cancelled job; accepts an empty JSON body', async () => {
    await withWorker(async (api) => {
      const job = await submit(api, { type: 'echo', delayMs: 60_000 });
      await call(api.base, 'DELETE', `/jobs/${job.id}`);
      const answer = await call(api.base, 'POST', `/jobs/${job.id}/retry`, { body: {} });
      expect(answer.status).toBe(200);
      expect(answer.body.status).toBe('queued');
    });
  });

  it('is 409 for a job that is not failed or cancelled, and writes nothing', async () => {
    await withWorker(async (api, consumer) => {
      const queued = await submit(api, { type: 'echo' });
      let before = await snapshot(api.redis, api.keyBase);
      const early = await call(api.base, 'POST', `/jobs/${queued.id}/retry`);
      expect(early.status).toBe(409);
      expect(early.body.error).toMatchObject({ code: 'conflict', details: { status: 'queued' } });
      expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
      await consumer.runOne('done');
      before = await snapshot(api.redis, api.keyBase);
      const done = await call(api.base, 'POST', `/jobs/${queued.id}/retry`);
      expect(done.status).toBe(409);
      expect(done.body.error.details.status).toBe('succeeded');
      expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
    });
  });

  it('is 404 for an unknown job, 400 for a malformed id or a body', async () => {
    await withWorker(async (api) => {
      expect((await call(api.base, 'POST', `/jobs/${MISSING}/retry`)).status).toBe(404);
      expect((await call(api.base, 'POST', '/jobs/abc/retry')).status).toBe(400);
      const job = await submit(api, { type: 'echo', delayMs: 60_000 });
      await call(api.base, 'DELETE', `/jobs/${job.id}`);
      expect((await call(api.base, 'POST', `/jobs/${job.id}/retry`, { body: { delayMs: 5 } })).status).toBe(400);
      expect((await call(api.base, 'POST', `/jobs/${job.id}/retry`, { raw: '{', headers: { 'content-type': 'application/json' } })).status).toBe(400);
      expect((await call(api.base, 'GET', `/jobs/${job.id}`)).body.status).toBe('cancelled');
    });
  });
});
