import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { Countdown, Signal } from '../wait.js';
import { NEVER_BINDING_LIMIT, PRIORITY_SPREAD, priorityOf } from './scheduling.js';
import { PAYLOAD, type BenchSystem, type DrainOptions, type EnqueueOptions, type DrainRun, type Limits } from './system.js';

const QUEUE = 'bench';
const version = (createRequire(import.meta.url)('bullmq/package.json') as { version: string }).version;

/**
 * BullMQ with its defaults: completed jobs are kept (removeOnComplete unset), events go to its
 * stream. Completion is counted on the worker's `completed` event, which fires after the job was
 * moved to the completed set in Redis. Priorities are the job option `priority`; limits are the
 * Worker's `limiter` (the rate) and `Queue.setGlobalConcurrency` (what hotq's concurrency limit is).
 */
export class BullmqSystem implements BenchSystem {
  readonly key = 'bullmq' as const;
  readonly label = `BullMQ ${version}`;
  readonly version = version;
  private readonly connection: ConnectionOptions;

  constructor(host: string, port: number, db: number) {
    this.connection = { host, port, db, maxRetriesPerRequest: null };
  }

  async enqueueBulk(count: number, batch: number): Promise<number> {
    const queue = await this.queue();
    try {
      const started = performance.now();
      for (let done = 0; done < count; done += batch) {
        const size = Math.min(batch, count - done);
        await queue.addBulk(Array.from({ length: size }, () => ({ name: 'noop', data: PAYLOAD })));
      }
      return performance.now() - started;
    } finally {
      await queue.close();
    }
  }

  async enqueueSingle(count: number, options: EnqueueOptions): Promise<number> {
    const queue = await this.queue();
    try {
      await options.onStart?.();
      const started = performance.now();
      for (let index = 0; index < count; index += 1) await queue.add('noop', PAYLOAD);
      return performance.now() - started;
    } finally {
      await queue.close();
    }
  }

  async drain(count: number, concurrency: number, options: DrainOptions): Promise<DrainRun> {
    const before = options.measureMemory ? await options.usedMemory() : 0;
    const scheduling = options.scheduling ?? 'plain';
    const queue = await this.queue();
    const limiter = scheduling === 'limits' ? { max: NEVER_BINDING_LIMIT.rate.count, duration: NEVER_BINDING_LIMIT.rate.perMs } : undefined;
    const worker = new Worker(QUEUE, async () => null, { connection: this.connection, concurrency, autorun: false, ...(limiter ? { limiter } : {}) });
    try {
      await worker.waitUntilReady();
      if (scheduling === 'limits') await queue.setGlobalConcurrency(NEVER_BINDING_LIMIT.concurrency);
      for (let done = 0; done < count; done += 1000) {
        await queue.addBulk(Array.from({ length: Math.min(1000, count - done) }, (_, offset) => ({
          name: 'noop',
          data: PAYLOAD,
          ...(scheduling === 'priorities' ? { opts: { priority: bullmqPriority(priorityOf(done + offset)) } } : {}),
        })));
      }
      const completions = new Countdown(count, `BullMQ to complete ${count} jobs`, options.timeoutMs);
      worker.on('completed', () => completions.tick());
      await options.onWorkerStart?.();
      const started = performance.now();
      void worker.run().catch(() => {});
      await completions.done;
      const elapsedMs = performance.now() - started;
      if (!options.measureMemory) return { elapsedMs };
      await worker.close();
      await queue.close();
      await sleep(100);
      return { elapsedMs, memoryPerJob: ((await options.usedMemory()) - before) / count };
    } finally {
      await worker.close();
      await queue.close();
    }
  }

  async latency(samples: number, gapMs: number, limits: Limits): Promise<number[]> {
    const queue = await this.queue();
    const started = new Signal<number>();
    const worker = new Worker(QUEUE, async () => {
      started.fire(performance.now());
      return null;
    }, { connection: this.connection, concurrency: 1 });
    try {
      await worker.waitUntilReady();
      await sleep(100); // let the worker settle into its blocking wait
      const out: number[] = [];
      for (let index = 0; index < samples; index += 1) {
        const submitted = performance.now();
        const [startedAt] = await Promise.all([started.next('BullMQ handler start', limits.timeoutMs), queue.add('noop', PAYLOAD)]);
        out.push(startedAt - submitted);
        await sleep(gapMs);
      }
      return out;
    } finally {
      await worker.close();
      await queue.close();
    }
  }

  private async queue(): Promise<Queue> {
    const queue = new Queue(QUEUE, { connection: this.connection });
    await queue.waitUntilReady();
    return queue;
  }
}

/**
 * A priority on hotq's scale (-10..10, higher first) as BullMQ's (1..2^21, lower first; 0 would
 * mean "no priority", which BullMQ runs before every prioritised job): 10 -> 1, ..., -10 -> 21,
 * so both queues order the same jobs the same way, over 21 levels.
 */
export function bullmqPriority(priority: number): number {
  return PRIORITY_SPREAD + 1 - priority;
}
