// A job's priority through the real TaskQueue: submitted, shown on the record, taken in order, and
// kept through an automatic retry and a manual one; its type is its limit scope.
import { Redis } from 'ioredis';
import { TaskQueue } from '@hotq/queue-core';
import { uniqueName } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JobsStore, type JobMessage, type SubmitInput } from '../src/index.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'));
});
afterAll(() => {
  redis.disconnect();
});

function setup() {
  const name = uniqueName('prio');
  const store = new JobsStore({ redis, queue: name });
  const queue = new TaskQueue<JobMessage>({ redis, name, hooks: store.queueHooks() });
  const submit = async (inputs: SubmitInput[]) => {
    const prepared = inputs.map((input) => store.prepareSubmission(input));
    await queue.putMany(prepared.map((s) => ({ payload: s.payload, ...s.put })));
    return prepared.map((s) => s.job);
  };
  return { store, queue, submit };
}

describe('job priorities', () => {
  it('are recorded, default 0, and decide the order; a retry keeps them', async () => {
    const { store, queue, submit } = setup();
    await queue.setPriorityAgeing(0);
    const [plain, urgent, low] = await submit([
      { type: 'echo', params: { n: 'plain' } }, { type: 'echo', params: { n: 'urgent' }, priority: 50 }, { type: 'other', params: { n: 'low' }, priority: -5 },
    ]);
    expect([plain!.priority, urgent!.priority, low!.priority]).toEqual([0, 50, -5]);
    expect(await store.get(urgent!.id)).toEqual(urgent);
    const { messages } = await queue.reserve({ count: 3 });
    expect(messages.map((m) => m.payload.params.n)).toEqual(['urgent', 'plain', 'low']);
    expect((await store.get(urgent!.id))?.priority).toBe(50);

    // The urgent job fails once: retried at once, still ahead of a new ordinary job.
    const [first, second, third] = messages;
    await queue.nack(first!, { vars: store.failure({ message: 'once' }).vars });
    await submit([{ type: 'echo', params: { n: 'new' } }]);
    const retried = (await queue.reserve({ count: 2 })).messages;
    expect(retried.map((m) => m.payload.params.n)).toEqual(['urgent', 'new']);

    // Failed for good, then retried by hand: it comes back with its priority.
    await queue.nack(third!, { dead: true, vars: store.failure({ message: 'no' }).vars });
    const manual = await store.prepareRetry(low!.id);
    await queue.put(manual!.payload, manual!.put);
    expect((await store.get(low!.id))?.priority).toBe(-5);
    await submit([{ type: 'echo', params: { n: 'newer' } }]);
    expect((await queue.reserve({ count: 2 })).messages.map((m) => m.payload.params.n)).toEqual(['newer', 'low']);
    await queue.ack(second!, { vars: store.completion(null).vars });
  });

  it('count against their type as limit scope', async () => {
    const { queue, submit } = setup();
    await queue.setLimit('type:render', { concurrency: 1 });
    await submit([{ type: 'render' }, { type: 'render' }, { type: 'echo' }]);
    const { messages } = await queue.reserve({ count: 3 });
    expect(messages.map((m) => m.payload.type).sort()).toEqual(['echo', 'render']);
  });
});
