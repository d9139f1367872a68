// Dependencies over HTTP: dependsOn on POST /jobs and on batch items (earlier items by index), status
// `waiting` everywhere a status is, failures with code dependency_failed, and clear 400s that create
// nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

let api: TestApi;
let worker: TestConsumer;
beforeAll(async () => {
  api = await startApi();
  worker = new TestConsumer(api.redis, api.prefix, api.queue);
});
afterAll(async () => {
  await worker.close();
  await api.close();
});

const UNKNOWN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('dependencies over HTTP', () => {
  it('take a graph in one batch (items by index), wait, and run in order', async () => {
    const batch = await call(api.base, 'POST', '/jobs/batch', {
      body: { jobs: [{ type: 'extract' }, { type: 'extract' }, { type: 'merge', dependsOn: [0, 1] }, { type: 'report', dependsOn: [2], onDependencyFailure: 'run' }] },
    });
    expect(batch.status).toBe(201);
    const [a, b, merge, report] = batch.body.jobs as Array<{ id: string; status: string; dependsOn?: string[] }>;
    expect(batch.body.jobs.map((job: { status: string }) => job.status)).toEqual(['queued', 'queued', 'waiting', 'waiting']);
    expect(merge).toMatchObject({ dependsOn: [a!.id, b!.id], onDependencyFailure: 'fail' });
    expect(report).toMatchObject({ dependsOn: [merge!.id], onDependencyFailure: 'run' });
    expect((await call(api.base, 'GET', `/jobs/${merge!.id}`)).body).toMatchObject({ status: 'waiting', dependsOn: [a!.id, b!.id] });
    expect((await call(api.base, 'GET', '/jobs?status=waiting')).body.jobs.map((job: { id: string }) => job.id)).toEqual([report!.id, merge!.id]);
    expect((await call(api.base, 'GET', '/stats')).body.counts).toMatchObject({ waiting: 2, queued: 2 });

    const ran: string[] = [];
    for (let n = 0; n < 4; n += 1) ran.push(await worker.runOne({ n }));
    expect(ran).toEqual([a!.id, b!.id, merge!.id, report!.id]);
    expect((await call(api.base, 'GET', '/stats')).body.counts).toMatchObject({ waiting: 0, succeeded: 4 });
  });

  it('fail a waiting job with code dependency_failed, and cancel a waiting one with DELETE', async () => {
    const first = await call(api.base, 'POST', '/jobs', { body: { type: 'step' } });
    const second = await call(api.base, 'POST', '/jobs', { body: { type: 'step', dependsOn: [first.body.id] } });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ status: 'waiting', dependsOn: [first.body.id], onDependencyFailure: 'fail' });
    const third = await call(api.base, 'POST', '/jobs', { body: { type: 'step', dependsOn: [first.body.id] } });
    expect((await call(api.base, 'DELETE', `/jobs/${third.body.id}`)).body).toMatchObject({ status: 'cancelled' });

    await worker.fail(await worker.take(), 'boom');
    expect((await call(api.base, 'GET', `/jobs/${second.body.id}`)).body).toMatchObject({
      status: 'failed', error: { code: 'dependency_failed', message: `dependency ${first.body.id} failed` },
    });
    // Submitted after its dependency failed: failed at once, answered as it is.
    const late = await call(api.base, 'POST', '/jobs', { body: { type: 'step', dependsOn: [first.body.id] } });
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({ status: 'failed', error: { code: 'dependency_failed' } });
  });

  it('refuse unknown, malformed, self and later dependencies with 400 naming the field, and create nothing', async () => {
    const before = await snapshot(api.redis, api.keyBase);
    const cases: Array<[string, unknown, RegExp]> = [
      ['/jobs', { type: 'x', dependsOn: [UNKNOWN] }, /^dependsOn: names 01ARZ3NDEKTSV4RRFFQ69G5FAV, which is not a job of this queue/],
      ['/jobs', { type: 'x', dependsOn: ['nope'] }, /^dependsOn\[0\]: must be a job id/],
      ['/jobs', { type: 'x', dependsOn: [UNKNOWN, UNKNOWN] }, /^dependsOn\[1\]: names .* twice/],
      ['/jobs', { type: 'x', dependsOn: [0] }, /^dependsOn\[0\]: must be a job id/],
      ['/jobs', { type: 'x', onDependencyFailure: 'later' }, /^onDependencyFailure: must be "fail" or "run"/],
      ['/jobs', { type: 'x', onDependencyFailure: 'run' }, /^onDependencyFailure: is only meaningful with dependsOn/],
      ['/jobs/batch', { jobs: [{ type: 'x', dependsOn: ['nope'] }] }, /^jobs\[0\]\.dependsOn\[0\]: must be a job id \(a ULID/],
      ['/jobs/batch', { jobs: [{ type: 'x', dependsOn: [0] }] }, /^jobs\[0\]\.dependsOn\[0\]: must be the index of an earlier item/],
      ['/jobs/batch', { jobs: [{ type: 'x' }, { type: 'x', dependsOn: [2] }, { type: 'x' }] }, /^jobs\[1\]\.dependsOn\[0\]: must be the index of an earlier item \(0 to 0\)/],
      ['/jobs/batch', { jobs: [{ type: 'x' }, { type: 'x', dependsOn: [UNKNOWN] }] }, /^jobs\[1\]\.dependsOn: names 01ARZ3NDEKTSV4RRFFQ69G5FAV/],
      ['/jobs', { type: 'x', dependsOn: Array.from({ length: 1_001 }, () => UNKNOWN) }, /^dependsOn: must be an array of at most 1000 job ids/],
    ];
    for (const [path, body, message] of cases) {
      const answer = await call(api.base, 'POST', path, { body });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error.message, JSON.stringify(body).slice(0, 80)).toMatch(message);
    }
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });
});
