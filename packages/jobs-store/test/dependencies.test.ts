// Job dependencies through the real TaskQueue: status `waiting`, counted and listed; queued by the end
// of the last dependency; failed with code dependency_failed (or run anyway); results read in one call.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError } from '../src/index.js';
import { connect } from './_support.js';
import { QueueFixture } from './_queue.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

/** Takes every ready job; returns their leases by id. */
async function take(f: QueueFixture) {
  const { messages } = await f.queue.reserve({ count: 1_000, consumer: 'test' });
  return new Map(messages.map((m) => [m.id, m]));
}

describe('job dependencies', () => {
  it('waits, is counted and listed as waiting, is queued by the last dependency, and reads their results', async () => {
    const f = new QueueFixture(redis);
    const [a, b] = await f.submit([{ type: 'fetch', params: { n: 1 } }, { type: 'fetch', params: { n: 2 } }]);
    const [parent] = await f.submit([{ type: 'merge', dependsOn: [a!.id, b!.id] }]);
    expect(parent).toMatchObject({ status: 'waiting', dependsOn: [a!.id, b!.id], onDependencyFailure: 'fail' });
    expect(await f.store.get(parent!.id)).toMatchObject({ status: 'waiting', dependsOn: [a!.id, b!.id], onDependencyFailure: 'fail' });
    expect(await f.store.counts()).toMatchObject({ waiting: 1, queued: 2 });
    expect((await f.store.list({ status: 'waiting' })).jobs.map((job) => job.id)).toEqual([parent!.id]);

    const leases = await take(f);
    expect([...leases.keys()].sort()).toEqual([a!.id, b!.id].sort());
    await f.queue.ack(leases.get(a!.id)!, { vars: f.store.completion({ rows: 10 }).vars });
    expect(await f.store.get(parent!.id)).toMatchObject({ status: 'waiting' });
    // A long result (kept beside the record) reads back too.
    await f.queue.ack(leases.get(b!.id)!, { vars: f.store.completion({ text: 'x'.repeat(500) }).vars });
    expect(await f.store.get(parent!.id)).toMatchObject({ status: 'queued' });
    expect(await f.store.counts()).toMatchObject({ waiting: 0, queued: 1, succeeded: 2 });

    expect(await f.store.dependencies(parent!.id)).toEqual([
      { id: a!.id, status: 'succeeded', result: { kind: 'json', value: { rows: 10 } }, error: null },
      { id: b!.id, status: 'succeeded', result: { kind: 'json', value: { text: 'x'.repeat(500) } }, error: null },
    ]);
    expect(await f.store.dependencies(a!.id)).toEqual([]);
    expect(await f.store.dependencies('01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBeNull();
    await f.close();
  });

  it('fails a waiting job with code dependency_failed when a dependency fails, down the chain; run-anyway jobs run', async () => {
    const f = new QueueFixture(redis);
    const [a] = await f.submit([{ type: 'step' }]);
    const [b] = await f.submit([{ type: 'step', dependsOn: [a!.id] }]);
    const [c] = await f.submit([{ type: 'step', dependsOn: [b!.id] }]);
    const [cleanup] = await f.submit([{ type: 'cleanup', dependsOn: [a!.id], onDependencyFailure: 'run' }]);
    expect(await f.finish(10, 'fail')).toEqual([a!.id]);
    expect(await f.store.get(b!.id)).toMatchObject({ status: 'failed', error: { code: 'dependency_failed', message: `dependency ${a!.id} failed` } });
    expect(await f.store.get(c!.id)).toMatchObject({ status: 'failed', error: { code: 'dependency_failed', message: `dependency ${b!.id} failed` } });
    expect(await f.store.get(cleanup!.id)).toMatchObject({ status: 'queued', onDependencyFailure: 'run' });
    expect(await f.store.counts()).toMatchObject({ waiting: 0, queued: 1, failed: 3 });
    expect(await f.store.dependencies(cleanup!.id)).toEqual([{ id: a!.id, status: 'failed', result: null, error: { message: 'boom' } }]);

    // A job submitted on a dependency that has failed already fails at once, by the same rule.
    const late = f.store.prepareSubmission({ type: 'step', dependsOn: [a!.id] });
    expect((await f.queue.put(late.payload, late.put)).outcome).toBe('dead');
    expect(await f.store.get(late.id)).toMatchObject({ status: 'failed', error: { code: 'dependency_failed' } });
    await f.close();
  });

  it('cancels a waiting job, and fails what waits on a cancelled one', async () => {
    const f = new QueueFixture(redis);
    const [a] = await f.submit([{ type: 'step' }]);
    const [b] = await f.submit([{ type: 'step', dependsOn: [a!.id] }]);
    const [c] = await f.submit([{ type: 'step', dependsOn: [b!.id] }]);
    expect(await f.queue.remove(b!.id, { hook: 'cancelJob' })).toMatchObject({ outcome: 'removed' });
    expect(await f.store.get(b!.id)).toMatchObject({ status: 'cancelled' });
    expect(await f.store.get(c!.id)).toMatchObject({ status: 'failed', error: { code: 'dependency_failed', message: `dependency ${b!.id} was cancelled` } });
    expect(await f.store.counts()).toMatchObject({ waiting: 0, queued: 1, cancelled: 1, failed: 1 });
    await f.close();
  });

  it('refuses bad dependencies with the field named', () => {
    const f = new QueueFixture(redis);
    const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    expect(() => f.store.prepareSubmission({ type: 'x', dependsOn: ['nope'] })).toThrow(/dependsOn\[0\]: must be a job id/);
    expect(() => f.store.prepareSubmission({ type: 'x', dependsOn: [id, id] })).toThrow(/dependsOn\[1\]: names .* twice/);
    expect(() => f.store.prepareSubmission({ type: 'x', dependsOn: id as unknown as string[] })).toThrow(JobInputError);
    expect(() => f.store.prepareSubmission({ type: 'x', dependsOn: [id], onDependencyFailure: 'skip' as 'run' })).toThrow(/onDependencyFailure: must be "fail" or "run"/);
    expect(() => f.store.prepareSubmission({ type: 'x', onDependencyFailure: 'run' })).toThrow(/only meaningful with dependsOn/);
  });
});
