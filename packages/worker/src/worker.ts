import type { Logger } from 'pino';
import { LayoutMismatchError, PartitionMismatchError, TaskQueue, type StopListener } from '@hotq/queue-core';
import { JobsStore, type JobMessage } from '@hotq/jobs-store';
import { WorkerError } from './errors.js';
import type { StopOptions, Worker, WorkerOptions, WorkerState } from './worker-types.js';
import { Acks } from './_acks.js';
import { Connection } from './_connection.js';
import { InlineExecutor, type Executor } from './_executor.js';
import { FinalWrites } from './_final-writes.js';
import { loadHandlersModule, mergeHandlers, handlersModuleUrl } from './_handlers-module.js';
import { Heartbeat } from './_heartbeat.js';
import { HeldJobs } from './_held-job.js';
import { ABANDON_MS, JobRunner } from './_job-runner.js';
import { JobWrites } from './_job-writes.js';
import { createLogger, errorFields } from './_logger.js';
import { resolveOptions, type ResolvedOptions } from './_options.js';
import { isUnavailable } from './_redis.js';
import { ReserveLanes, type LaneHost } from './_reserve-lanes.js';
import { ThreadPool } from './_thread-pool.js';
import { delay } from './_waits.js';

/** The parts of a started worker, made together by start() (see the class comment below). */
interface RunningParts {
  readonly executor: Executor;
  readonly connection: Connection;
  readonly tasks: TaskQueue<JobMessage>;
  readonly jobWrites: JobWrites;
  /** The reserve calls: acks out, jobs in. */
  readonly lanes: ReserveLanes;
  readonly acks: Acks;
  readonly finalWrites: FinalWrites;
  readonly runner: JobRunner;
  readonly heartbeat: Heartbeat;
  /** Cancellations pushed to this worker as they are asked for (the heartbeat is the fallback). */
  readonly stops: StopListener;
}

/**
 * The runtime behind {@link createWorker}.
 *
 * Round trips (docs/architecture.md): while busy, ONE per job at most — a finished job's ack rides on the
 * reserve that takes the next jobs (`TaskQueue.reserve({ acks })`, see {@link ReserveLanes}: two such
 * calls in flight at concurrency > 1); a failure is one nack; progress is one call per (coalesced)
 * update; leases of ALL held jobs are renewed by one `extend` per heartbeat, sent together with the
 * presence pipeline. While idle: one reserve that finds nothing and registers as waiting, then a
 * blocking read (on the queue's own connection) that a submission answers with its job, already
 * leased; a job finishing meanwhile is acked at once.
 *
 * The work is split among its parts, made in start(): {@link JobRunner} runs each job and decides
 * its outcome, {@link Acks} and {@link JobWrites} record it, {@link Heartbeat} keeps the leases and
 * the presence record, {@link FinalWrites} writes what is still owed at shutdown, and
 * {@link Connection} watches Redis.
 */
class WorkerRuntime implements Worker {
  readonly id: string;
  readonly queue: string;
  readonly prefix: string;
  private currentState: WorkerState = 'created';
  private served: string[] = [];

  private readonly log: Logger;
  /** Every lease held, by job id. */
  private readonly held = new HeldJobs();
  /** The parts of the running worker, made together by start(). */
  private madeParts: RunningParts | undefined;

  private starting = false;
  private stopping = false;
  private stopping$: Promise<void> | undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.id = options.id;
    this.queue = options.queue;
    this.prefix = options.prefix;
    this.log = (options.logger ?? createLogger('warn', 2)).child({ worker: options.id, queue: options.queue });
  }

  get state(): WorkerState {
    return this.currentState;
  }

  get types(): readonly string[] {
    return this.served;
  }

  running(): string[] {
    return this.held.running();
  }

  async start(): Promise<void> {
    if (this.currentState !== 'created' || this.starting) {
      throw new WorkerError('invalid_state', `start() was called on a worker that is ${this.starting ? 'starting' : this.currentState}`);
    }
    this.starting = true;
    let executor: Executor;
    try {
      executor = await this.startExecutor();
    } finally {
      this.starting = false;
    }
    if (this.stopping$ !== undefined) {
      await executor.close();
      throw new WorkerError('invalid_state', 'the worker was stopped while it was starting');
    }
    this.served = [...executor.types].sort();
    const { options } = this;
    const parts = (this.madeParts = this.makeParts(executor));
    await this.refuseOtherLayout(parts, executor);
    // Listening for cancellations before taking jobs, unless Redis is slow to answer (the heartbeat
    // reports them meanwhile).
    await Promise.race([parts.stops.ready, delay(1_000)]);
    this.currentState = 'running';
    void parts.connection.warnOnEviction();
    parts.heartbeat.start();
    parts.lanes.kick();
    this.log.info(
      { concurrency: options.concurrency, isolation: options.isolation, leaseMs: options.leaseMs, types: this.served },
      'worker started',
    );
  }

  /**
   * Keys written by another version of hotq, or a queue of another partition count, are never
   * worked on as this one's: start() fails with the reason. A Redis that does not answer yet is no reason to fail: the worker waits for it, and
   * its first reserve checks the layout again.
   */
  private async refuseOtherLayout(parts: RunningParts, executor: Executor): Promise<void> {
    try {
      await parts.tasks.checkLayout();
    } catch (error) {
      if (!(error instanceof LayoutMismatchError) && !(error instanceof PartitionMismatchError)) return;
      await parts.stops.close();
      await parts.connection.close();
      await executor.close();
      this.currentState = 'stopped';
      throw error;
    }
  }

  /**
   * Connects to Redis and makes the parts of the running worker, each after the parts it uses (the
   * reserve calls reach those made after them through laneHost(), at call time).
   */
  private makeParts(executor: Executor): RunningParts {
    const { options, log, held, id, served } = this;
    const stopping = (): boolean => this.stopping;
    const connection = new Connection(options, log);
    const { redis } = connection;
    const store = new JobsStore({ redis, prefix: options.prefix, queue: options.queue, partitions: options.partitions });
    const tasks = new TaskQueue<JobMessage>({
      redis,
      name: options.queue,
      prefix: options.prefix,
      partitions: options.partitions,
      hooks: store.queueHooks(),
      leaseMs: options.leaseMs,
    });
    const jobWrites = new JobWrites(tasks, store, held, connection, options.backoff, log);
    const lanes = new ReserveLanes(tasks, id, this.laneHost(jobWrites));
    const acks = new Acks(tasks, id, held, jobWrites, lanes, stopping, log);
    const finalWrites = new FinalWrites(tasks, held, acks, jobWrites, log);
    const runner = new JobRunner({ workerId: id, served, executor, store, held, acks, jobWrites, finalWrites, lanes, stopping, log });
    const startedAt = new Date().toISOString();
    const heartbeat = new Heartbeat({ options, startedAt, tasks, store, connection, held, runner, acks, log });
    const stops = tasks.listenForStops(id, (jobId) => {
      const job = held.get(jobId);
      if (job !== undefined && !job.decided) runner.stopJob(job, 'cancelled');
    });
    return { executor, connection, tasks, jobWrites, lanes, acks, finalWrites, runner, heartbeat, stops };
  }

  /** The parts of the running worker; only asked for once start() made them. */
  private get parts(): RunningParts {
    if (this.madeParts === undefined) throw new WorkerError('invalid_state', 'the worker has not started');
    return this.madeParts;
  }

  /** Handlers first: a module that cannot be loaded fails start() before Redis is touched. */
  private async startExecutor(): Promise<Executor> {
    const { options } = this;
    let executor: Executor;
    if (options.isolation === 'thread') {
      executor = new ThreadPool({
        size: options.concurrency,
        handlersModule: options.handlersModule === undefined ? undefined : handlersModuleUrl(options.handlersModule),
        abandonMs: ABANDON_MS,
        logger: this.log,
      });
    } else {
      const fromModule = options.handlersModule === undefined ? undefined : await loadHandlersModule(options.handlersModule);
      executor = new InlineExecutor(mergeHandlers(fromModule, options.handlers));
    }
    await executor.start();
    return executor;
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.stopping$ !== undefined) return this.stopping$;
    const graceMs = options.graceMs ?? this.options.graceMs;
    if (typeof graceMs !== 'number' || !Number.isInteger(graceMs) || graceMs < 0) {
      return Promise.reject(new WorkerError('invalid_option', `options.graceMs must be a non-negative integer (received ${String(graceMs)})`));
    }
    if (this.currentState === 'created') {
      // Never started (or still starting: start() sees this and closes what it started).
      this.currentState = 'stopped';
      this.stopping$ = Promise.resolve();
      return this.stopping$;
    }
    this.stopping$ = this.shutdown(graceMs);
    return this.stopping$;
  }

  /**
   * What the reserve calls need from the worker (see ReserveLanes). The lanes are made before the
   * parts that use them (acks, runner), so these reach those parts at call time, once all are made.
   */
  private laneHost(jobWrites: JobWrites): LaneHost {
    return {
      concurrency: this.options.concurrency,
      writes: jobWrites.inFlight,
      busySlots: () => this.parts.runner.busySlots,
      pendingAcks: () => this.parts.acks.waiting,
      takeAcks: () => this.parts.acks.take(),
      connected: () => this.parts.connection.connected(),
      untilReady: (signal) => this.parts.connection.untilReady(signal),
      received: (batch, acked, messages) => {
        const { connection, acks, runner } = this.parts;
        connection.noteAvailable();
        acks.settle(batch, acked);
        for (const message of messages) runner.begin(message);
      },
      failed: (batch, error, stopping) => {
        if (batch.length > 0) this.parts.acks.failed(batch, error);
        if (stopping) return;
        if (isUnavailable(error)) this.parts.connection.noteUnavailable(error);
        else this.log.error(errorFields(error), 'taking jobs failed; retrying');
      },
      unexpected: (error) => this.log.error(errorFields(error), 'handling taken jobs failed unexpectedly'),
    };
  }

  private async shutdown(graceMs: number): Promise<void> {
    const { lanes, runner, finalWrites, heartbeat, executor, tasks, connection, stops } = this.parts;
    this.stopping = true;
    this.currentState = 'stopping';
    this.log.info({ running: this.running().length, graceMs }, 'worker stopping');
    // The calls in flight come back (a wait for work is interrupted); jobs they bring are handed back.
    await lanes.stop();

    // Grace: running jobs may finish; their outcomes are written as they do.
    await runner.waitWhile(() => this.running().length > 0, Date.now() + graceMs);
    const late = this.running();
    if (late.length > 0) this.log.info({ jobs: late }, 'grace time over; handing the remaining jobs back');
    for (const job of this.held.list()) if (!job.decided) runner.stopJob(job, 'shutdown');

    await finalWrites.run();
    await heartbeat.stop();
    // Handlers told to stop get a moment to end (abandoned ones free their slots after ABANDON_MS).
    await runner.waitWhile(() => runner.busySlots > 0, Date.now() + ABANDON_MS + 1_000);
    await executor.close();
    await stops.close();
    await tasks.close();
    await connection.close();
    this.currentState = 'stopped';
    this.log.info('worker stopped');
  }
}

/**
 * Creates a worker: the consumer of one queue. Call `start()` to begin taking jobs and `stop()` to
 * end gracefully. Options are checked at once (a {@link WorkerError} names the first bad one);
 * nothing touches Redis before `start()`.
 *
 * It builds `new JobsStore({ redis, prefix, queue, partitions })` and
 * `new TaskQueue<JobMessage>({ redis, name: queue, prefix, partitions, hooks: store.queueHooks(), leaseMs })`, so
 * every step of a job (start, progress, success, failure, cancellation, hand-back) is one fenced
 * script changing queue and record together.
 * @public
 */
export function createWorker(options: WorkerOptions): Worker {
  return new WorkerRuntime(resolveOptions(options));
}
