import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import BeeQueue from 'bee-queue';
import { Countdown, Signal } from '../wait.js';
import { PAYLOAD, type BenchSystem, type DrainOptions, type EnqueueOptions, type DrainRun, type Limits } from './system.js';

const QUEUE = 'bench';
const version = (createRequire(import.meta.url)('bee-queue/package.json') as { version: string }).version;

/**
 * bee-queue with its defaults (jobs stored and kept after success, events sent), except that no
 * queue subscribes to job events (`getEvents: false`): nothing here listens to them, and skipping
 * them only spares bee-queue work. Completion is counted on the worker's `succeeded` event, which
 * fires after the MULTI that records the success has returned. It has neither priorities nor
 * limits: the drains that use them are not applicable to it.
 */
export class BeeQueueSystem implements BenchSystem {
  readonly key = 'bee-queue' as const;
  readonly label = `bee-queue ${version}`;
  readonly version = version;
  readonly lacks = {
    priorities: 'not applicable: bee-queue has no job priorities',
    limits: 'not applicable: bee-queue has no rate or concurrency limits',
  } as const;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly db: number,
  ) {}

  async enqueueBulk(count: number, batch: number): Promise<number> {
    const queue = await this.queue(false);
    try {
      const started = performance.now();
      for (let done = 0; done < count; done += batch) {
        await this.saveAll(queue, Math.min(batch, count - done));
      }
      return performance.now() - started;
    } finally {
      await queue.close();
    }
  }

  async enqueueSingle(count: number, options: EnqueueOptions): Promise<number> {
    const queue = await this.queue(false);
    try {
      await options.onStart?.();
      const started = performance.now();
      for (let index = 0; index < count; index += 1) await queue.createJob(PAYLOAD).save();
      return performance.now() - started;
    } finally {
      await queue.close();
    }
  }

  async drain(count: number, concurrency: number, options: DrainOptions): Promise<DrainRun> {
    // A plain drain reported as a prioritised or limited one would be a made-up figure.
    if (options.scheduling !== undefined && options.scheduling !== 'plain') throw new Error(this.lacks[options.scheduling]);
    const before = options.measureMemory ? await options.usedMemory() : 0;
    const producer = await this.queue(false);
    const worker = await this.queue(true);
    try {
      for (let done = 0; done < count; done += 1000) await this.saveAll(producer, Math.min(1000, count - done));
      const completions = new Countdown(count, `bee-queue to complete ${count} jobs`, options.timeoutMs);
      worker.on('succeeded', () => completions.tick());
      await options.onWorkerStart?.();
      const started = performance.now();
      worker.process(concurrency, async () => null);
      await completions.done;
      const elapsedMs = performance.now() - started;
      if (!options.measureMemory) return { elapsedMs };
      await worker.close();
      await producer.close();
      await sleep(100);
      return { elapsedMs, memoryPerJob: ((await options.usedMemory()) - before) / count };
    } finally {
      await worker.close();
      await producer.close();
    }
  }

  async latency(samples: number, gapMs: number, limits: Limits): Promise<number[]> {
    const producer = await this.queue(false);
    const worker = await this.queue(true);
    const started = new Signal<number>();
    try {
      worker.process(1, async () => {
        started.fire(performance.now());
        return null;
      });
      await sleep(100); // let the worker settle into its blocking wait
      const out: number[] = [];
      for (let index = 0; index < samples; index += 1) {
        const submitted = performance.now();
        const [startedAt] = await Promise.all([started.next('bee-queue handler start', limits.timeoutMs), producer.createJob(PAYLOAD).save()]);
        out.push(startedAt - submitted);
        await sleep(gapMs);
      }
      return out;
    } finally {
      await worker.close();
      await producer.close();
    }
  }

  private async saveAll(queue: BeeQueue, size: number): Promise<void> {
    const errors = await queue.saveAll(Array.from({ length: size }, () => queue.createJob(PAYLOAD)));
    if (errors.size > 0) throw new Error(`bee-queue saveAll failed for ${errors.size} jobs: ${[...errors.values()][0]?.message}`);
  }

  private async queue(isWorker: boolean): Promise<BeeQueue> {
    const queue = new BeeQueue(QUEUE, {
      redis: { host: this.host, port: this.port, db: this.db },
      isWorker,
      getEvents: false,
    });
    await queue.ready();
    return queue;
  }
}
