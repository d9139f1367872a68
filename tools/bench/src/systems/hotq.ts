import { setTimeout as sleep } from 'node:timers/promises';
import { TaskQueue } from '@hotq/queue-core';
import type { Redis } from 'ioredis';
import type { CreateWorker, Handler, JobsStoreConstructor, JobsStoreLike, WorkerLike } from '../hotq-packages.js';
import { Signal, waitUntil } from '../wait.js';
import { NEVER_BINDING_LIMIT, priorityOf } from './scheduling.js';
import { PAYLOAD, type BenchSystem, type DrainOptions, type EnqueueOptions, type DrainRun, type Limits } from './system.js';

const PREFIX = 'hotq';
const QUEUE = 'bench';
const SUBMISSION = { type: 'noop', params: PAYLOAD } as const;

/** The parts of hotq this system runs: the store is required, the worker for drain and latency. */
export interface HotqParts {
  readonly JobsStore: JobsStoreConstructor;
  /** The worker factory, or why there is none yet. */
  readonly createWorker: CreateWorker | { missing: string };
  readonly version: string;
}

/**
 * hotq on its real path: a submission is `store.prepareSubmission` + `queue.put` (bulk: `putMany`),
 * one script that writes the record, its indexes and the queue entry; processing is the real worker
 * (`createWorker`) with a no-op handler, so records, leases, fencing and results are all paid for.
 * Completion is counted when the store's `succeeded` count reaches the total (polled every 5 ms on
 * the producer's connection; the other systems report completions as events instead).
 * Priorities are the submission's `priority`; limits are `TaskQueue.setLimit('queue', ...)`
 * (decision 0015): either turns the queue onto its scheduled path.
 */
export class HotqSystem implements BenchSystem {
  readonly key = 'hotq' as const;
  readonly label: string;
  readonly version: string;
  readonly processingUnavailable: string | undefined;

  constructor(
    private readonly connect: () => Redis,
    private readonly parts: HotqParts,
  ) {
    this.version = parts.version;
    this.label = `hotq ${parts.version}`;
    this.processingUnavailable = typeof parts.createWorker === 'function' ? undefined : parts.createWorker.missing;
  }

  async enqueueBulk(count: number, batch: number): Promise<number> {
    const { redis, store, queue } = this.producer();
    try {
      await redis.ping(); // connected before the clock starts, as the others are
      const started = performance.now();
      for (let done = 0; done < count; done += batch) await this.putBatch(store, queue, Math.min(batch, count - done));
      return performance.now() - started;
    } finally {
      redis.disconnect();
    }
  }

  async enqueueSingle(count: number, options: EnqueueOptions): Promise<number> {
    const { redis, store, queue } = this.producer();
    try {
      await redis.ping(); // connected before the clock starts, as the others are
      await options.onStart?.();
      const started = performance.now();
      for (let index = 0; index < count; index += 1) {
        const submission = store.prepareSubmission(SUBMISSION);
        await queue.put(submission.payload, submission.put);
      }
      return performance.now() - started;
    } finally {
      redis.disconnect();
    }
  }

  async drain(count: number, concurrency: number, options: DrainOptions): Promise<DrainRun> {
    const before = options.measureMemory ? await options.usedMemory() : 0;
    const { redis, store, queue } = this.producer();
    const workerRedis = this.connect();
    let worker: WorkerLike | undefined;
    try {
      // The worker treats a connection that is not ready yet as Redis being down: hand it a ready one.
      await workerRedis.ping();
      const scheduling = options.scheduling ?? 'plain';
      // Set before the preload, so the jobs are put the way they are on a queue that has limits.
      if (scheduling === 'limits') await queue.setLimit('queue', NEVER_BINDING_LIMIT);
      for (let done = 0; done < count; done += 1000) {
        await this.putBatch(store, queue, Math.min(1000, count - done), scheduling === 'priorities' ? done : undefined);
      }
      worker = this.worker(workerRedis, concurrency, async () => null);
      await options.onWorkerStart?.();
      const started = performance.now();
      const finished = waitUntil(async () => ((await store.counts()).succeeded ?? 0) >= count, `hotq to complete ${count} jobs`, options.timeoutMs, options.pollMs ?? 5);
      await Promise.race([finished, failOnRejection(worker.start())]);
      await finished;
      const elapsedMs = performance.now() - started;
      if (!options.measureMemory) return { elapsedMs };
      await worker.stop();
      worker = undefined;
      workerRedis.disconnect();
      redis.disconnect();
      await sleep(100);
      return { elapsedMs, memoryPerJob: ((await options.usedMemory()) - before) / count };
    } finally {
      await worker?.stop();
      workerRedis.disconnect();
      redis.disconnect();
    }
  }

  async latency(samples: number, gapMs: number, limits: Limits): Promise<number[]> {
    const { redis, store, queue } = this.producer();
    const workerRedis = this.connect();
    const started = new Signal<number>();
    let worker: WorkerLike | undefined;
    try {
      await Promise.all([redis.ping(), workerRedis.ping()]);
      worker = this.worker(workerRedis, 1, async () => {
        started.fire(performance.now());
        return null;
      });
      const running = failOnRejection(worker.start());
      await Promise.race([sleep(100), running]); // let the worker settle into its blocking wait
      const out: number[] = [];
      for (let index = 0; index < samples; index += 1) {
        const submitted = performance.now();
        const submission = store.prepareSubmission(SUBMISSION);
        const [startedAt] = await Promise.all([started.next('hotq handler start', limits.timeoutMs), queue.put(submission.payload, submission.put)]);
        out.push(startedAt - submitted);
        await sleep(gapMs);
      }
      return out;
    } finally {
      await worker?.stop();
      workerRedis.disconnect();
      redis.disconnect();
    }
  }

  private producer(): { redis: Redis; store: JobsStoreLike; queue: TaskQueue } {
    const redis = this.connect();
    const store = new this.parts.JobsStore({ redis, prefix: PREFIX, queue: QUEUE });
    const queue = new TaskQueue({ redis, name: QUEUE, prefix: PREFIX, hooks: store.queueHooks() });
    return { redis, store, queue };
  }

  private worker(redis: Redis, concurrency: number, noop: Handler): WorkerLike {
    const createWorker = this.parts.createWorker;
    if (typeof createWorker !== 'function') throw new Error(createWorker.missing);
    return createWorker({ redis, queue: QUEUE, prefix: PREFIX, handlers: { noop }, concurrency });
  }

  /** Puts `size` jobs in one `putMany`; with `firstIndex`, job i of the run gets `priorityOf(i)`. */
  private async putBatch(store: JobsStoreLike, queue: TaskQueue, size: number, firstIndex?: number): Promise<void> {
    const messages = Array.from({ length: size }, (_, offset) => {
      const submission = store.prepareSubmission(firstIndex === undefined ? SUBMISSION : { ...SUBMISSION, priority: priorityOf(firstIndex + offset) });
      return { payload: submission.payload, ...submission.put };
    });
    const results = await queue.putMany(messages);
    const notQueued = results.find((result) => result.outcome !== 'queued');
    if (notQueued) throw new Error(`hotq putMany: job ${notQueued.id} was ${notQueued.outcome}`);
  }
}

/**
 * `start()` may return a promise that settles only when the worker stops; only its rejection
 * matters here, so this never resolves.
 */
async function failOnRejection(started: unknown): Promise<never> {
  await started;
  return await new Promise<never>(() => {});
}
