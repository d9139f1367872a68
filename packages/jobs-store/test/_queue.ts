// A store and the real TaskQueue that runs its hooks, on a queue name of their own: for the tests
// of the steps that involve both (deletes, bulk actions, tags through a real put).
import { TaskQueue } from '@hotq/queue-core';
import { uniqueName } from '@hotq/test-harness';
import type { Redis } from 'ioredis';
import { JobsStore, type Job, type JobMessage, type JobsStoreOptions, type SubmitInput } from '../src/index.js';

export class QueueFixture {
  readonly store: JobsStore;
  readonly queue: TaskQueue<JobMessage>;
  readonly name = uniqueName('jq');

  constructor(readonly redis: Redis, options: Partial<JobsStoreOptions> = {}, maxQueued?: number) {
    this.store = new JobsStore({ redis, queue: this.name, ...options });
    this.queue = new TaskQueue<JobMessage>({ redis, name: this.name, hooks: this.store.queueHooks(), ...(maxQueued ? { maxQueued } : {}) });
  }

  /** Submits through the real put, in batches of 1,000 (one script call each). */
  async submit(inputs: SubmitInput[]): Promise<Job[]> {
    const jobs: Job[] = [];
    for (let at = 0; at < inputs.length; at += 1_000) {
      const prepared = inputs.slice(at, at + 1_000).map((input) => this.store.prepareSubmission(input));
      await this.queue.putMany(prepared.map((s) => ({ payload: s.payload, ...s.put })));
      jobs.push(...prepared.map((s) => s.job));
    }
    return jobs;
  }

  /** Takes up to `count` jobs and ends each as `how` says. Returns their ids. */
  async finish(count: number, how: 'succeed' | 'fail'): Promise<string[]> {
    const { messages } = await this.queue.reserve({ count, consumer: 'test' });
    const acks = messages.map((message) => ({
      lease: message,
      vars: how === 'succeed' ? this.store.completion({ ok: true }).vars : this.store.failure({ message: 'boom' }).vars,
    }));
    if (how === 'succeed') {
      if (acks.length > 0) await this.queue.reserve({ count: 0, acks });
    } else {
      for (const ack of acks) await this.queue.nack(ack.lease, { dead: true, reason: 'boom', vars: ack.vars });
    }
    return messages.map((message) => message.id);
  }

  /** Every key of the queue and its records. */
  async keys(): Promise<string[]> {
    return (await this.redis.keys(`${this.store.keyBase.replace(/[{}]/g, '\\$&')}*`)).sort();
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
