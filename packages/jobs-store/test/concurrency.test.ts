import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, Fixture, sleep } from './_support.js';

// Two connections, so the two transitions really are in flight at the same time.
let a: Redis;
let b: Redis;
let listener: Redis;
beforeAll(() => {
  a = connect();
  b = connect();
  listener = connect();
});
afterAll(() => {
  a.disconnect();
  b.disconnect();
  listener.disconnect();
});

/** Collects the messages of a store's event channel. */
async function recordEvents(channel: string): Promise<{ events: Array<{ id: string; status?: string }>; stop: () => Promise<void> }> {
  const events: Array<{ id: string; status?: string }> = [];
  const onMessage = (from: string, message: string): void => {
    if (from === channel) events.push(JSON.parse(message));
  };
  listener.on('message', onMessage);
  await listener.subscribe(channel);
  // Events are published only while a watcher has marked the queue watched (as EventHub does).
  await a.set(channel.replace(/:events$/, ':watched'), '1', 'PX', 60_000);
  return {
    events,
    stop: async () => {
      await listener.unsubscribe(channel);
      listener.off('message', onMessage);
    },
  };
}

describe('concurrent transitions on one job: exactly one wins', () => {
  it('a completion racing a dead-letter of the same lease', async () => {
    const f = new Fixture(a);
    for (let round = 0; round < 20; round += 1) {
      const { id } = await f.submit();
      const token = await f.start(id);
      await Promise.all([
        f.hooks.call('ack', id, { token, attempt: 1, vars: f.store.completion({ round }).vars }, a),
        f.hooks.call('dead', id, { token, attempt: 1, reason: 'lease expired on the last attempt (1 of 1)' }, b),
      ]);
      const job = await f.store.get(id);
      expect(['succeeded', 'failed']).toContain(job?.status);
      if (job?.status === 'succeeded') {
        expect(job.error).toBeNull();
        expect(await f.store.getResult(id)).toEqual({ kind: 'json', value: { round } });
      } else {
        expect(await a.exists(`${f.store.keyBase}:result:${id}`)).toBe(0);
      }
    }
    const counts = await f.store.counts();
    expect(counts.succeeded + counts.failed).toBe(20);
    expect(counts.running).toBe(0);
    expect(await a.zcard(`${f.store.keyBase}:finished`)).toBe(20);
  });

  it('a cancellation racing the start of a queued job', async () => {
    const f = new Fixture(a);
    const outcomes = { cancelled: 0, running: 0 };
    for (let round = 0; round < 20; round += 1) {
      const { id } = await f.submit();
      const [cancel] = await Promise.all([
        f.hooks.call('cancelJob', id, {}, a),
        f.hooks.call('reserve', id, { token: `t${round}`, attempt: 1, consumer: 'w' }, b),
      ]);
      const job = await f.store.get(id);
      if (cancel.refusal === null) {
        expect(job?.status).toBe('cancelled');
        outcomes.cancelled += 1;
      } else {
        expect(cancel.refusal).toBe('running');
        expect(job?.status).toBe('running');
        outcomes.running += 1;
      }
    }
    expect(outcomes.cancelled + outcomes.running).toBe(20);
    const counts = await f.store.counts();
    expect(counts).toMatchObject({ cancelled: outcomes.cancelled, running: outcomes.running, queued: 0 });
  });

  it('many completions of one lease: one result is committed, once, with one event', async () => {
    const f = new Fixture(a);
    const { id } = await f.submit();
    const token = await f.start(id);
    const recorder = await recordEvents(`${f.store.keyBase}:events`);
    await Promise.all(Array.from({ length: 10 }, (_, n) =>
      f.hooks.call('ack', id, { token, attempt: 1, vars: f.store.completion({ n }).vars }, n % 2 ? a : b)));
    await sleep(50);
    await recorder.stop();
    expect(recorder.events.filter((event) => event.id === id)).toEqual([{ id, status: 'succeeded' }]);
    const result = await f.store.getResult(id);
    expect(result?.kind).toBe('json');
    expect(await f.store.counts()).toMatchObject({ succeeded: 1, running: 0 });
  });

  it('a worker that lost its lease cannot report progress or finish; the new holder can', async () => {
    const f = new Fixture(a);
    const { id } = await f.submit();
    const old = await f.start(id, 1, 'w-old');
    await f.hooks.call('expire', id, { token: old, attempt: 1, reason: 'lease expired' });
    const current = await f.start(id, 2, 'w-new');
    const [late, fresh] = await Promise.all([f.store.progress(id, old, 99), f.store.progress(id, current, 10)]);
    expect([late, fresh]).toEqual([false, true]);
    await Promise.all([
      f.hooks.call('ack', id, { token: old, attempt: 1, vars: f.store.completion('from the old worker').vars }, a),
      f.hooks.call('ack', id, { token: current, attempt: 2, vars: f.store.completion('from the new worker').vars }, b),
    ]);
    expect(await f.store.get(id)).toMatchObject({ status: 'succeeded', attempts: 2, worker: 'w-new', progress: 10 });
    expect(await f.store.getResult(id)).toEqual({ kind: 'json', value: 'from the new worker' });
    expect(await f.store.progress(id, current, 100)).toBe(false);
  });
});
