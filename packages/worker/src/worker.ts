import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TaskQueue, type AckRequest, type ReservedMessage } from '@hotq/queue-core';
import { JobsStore, type JobMessage, type WorkerInfo } from '@hotq/jobs-store';
import { WorkerError } from './errors.js';
import type { HandlerJob } from './handler-types.js';
import type { StopOptions, Worker, WorkerOptions, WorkerState } from './worker-types.js';
import { reconnectDelay, retryDelay } from './_backoff.js';
import { InlineExecutor, type Executor } from './_executor.js';
import { checkProgress, describeError, stopReason, type ErrorInfo, type RunOutcome, type StopCode } from './_handler-run.js';
import { loadHandlersModule, mergeHandlers, handlersModuleUrl } from './_handlers-module.js';
import { HeldJob, payloadProblem, type PendingAck } from './_held-job.js';
import { JobContext, type ProgressWriter } from './_job-context.js';
import { createLogger } from './_logger.js';
import { resolveOptions, type ResolvedOptions } from './_options.js';
import { connectRedis, evictionPolicy, isUnavailable, withTimeout } from './_redis.js';
import { IDLE_WAIT_MS, ReserveLanes, type LaneHost } from './_reserve-lanes.js';
import { ThreadPool } from './_thread-pool.js';
import { delay, settlesWithin } from './_waits.js';

/** How long a stopped handler may keep its slot (and, in a thread, its thread) before it is abandoned. */
const ABANDON_MS = 2_000;
/** How long stop() keeps trying to write outcomes still pending (Redis down) before leaving them to lease expiry. */
const FINAL_WRITES_MS = 5_000;
/** Bound on calls that queue-core does not bound itself (presence, progress, quit). */
const CALL_TIMEOUT_MS = 10_000;

/** The batch of a call that carries no acks (shared: it is never written to). */
const NO_ACKS: readonly PendingAck[] = Object.freeze([]);

/** What became of a job, decided once; later events for the same job are ignored. */
type Decision =
  | { readonly kind: 'succeeded'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: ErrorInfo }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'released' };

function errorFields(error: unknown): { err: { name: string; message: string; code?: string } } {
  const info = describeError(error);
  return { err: { name: info.name, message: info.message, ...(info.code ? { code: info.code } : {}) } };
}

/**
 * The runtime behind {@link createWorker}.
 *
 * Round trips (PERF-NOTES.md): while busy, ONE per job at most — a finished job's ack rides on the
 * reserve that takes the next jobs (`TaskQueue.reserve({ acks })`, see {@link ReserveLanes}: two such
 * calls in flight at concurrency > 1); a failure is one nack; progress is one call per (coalesced)
 * update; leases of ALL held jobs are renewed by one `extend` per heartbeat, sent together with the
 * presence pipeline. While idle: one reserve that finds nothing, then one that waits on the queue's
 * wake list (on the queue's own connection); a job finishing meanwhile is acked at once.
 */
class WorkerRuntime implements Worker {
  readonly id: string;
  readonly queue: string;
  readonly prefix: string;
  private currentState: WorkerState = 'created';
  private served: string[] = [];

  private readonly log: Logger;
  private redis!: Redis;
  private ownsRedis = false;
  private store!: JobsStore;
  private tasks!: TaskQueue<JobMessage>;
  private executor!: Executor;
  private startedAt = '';

  /** Every lease held, by job id. */
  private readonly held = new Map<string, HeldJob>();
  /** Handler slots in use (at most `concurrency`). */
  private busy = 0;
  /** Successes and cancellations waiting to ride on the next reserve. */
  private pendingAcks: PendingAck[] = [];
  /** Leases to hand back (shutdown). */
  private toRelease: HeldJob[] = [];
  /** Writes in flight outside the reserve calls (nacks, direct ack flushes), awaited by stop(). */
  private readonly writes = new Set<Promise<unknown>>();
  /** The reserve calls: acks out, jobs in. */
  private lanes!: ReserveLanes;
  /** The vars of a `null` result and of a cancellation, the same for every job: made once. */
  private nullResultVars!: Record<string, string>;
  private cancelledVars!: Record<string, string>;
  /** Writes a job's progress; bound once and shared by every job's context. */
  private readonly writeProgress: ProgressWriter = (job, value) => this.progress(job, value);

  private starting = false;
  private stopping = false;
  /** Called whenever a job is decided or a slot freed (stop() waits on them). */
  private readonly changeListeners = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private finalDeadline = Number.POSITIVE_INFINITY;
  private stopping$: Promise<void> | undefined;
  private redisDown = false;

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
    return [...this.held.values()].filter((job) => !job.decided).map((job) => job.id);
  }

  async start(): Promise<void> {
    if (this.currentState !== 'created' || this.starting) {
      throw new WorkerError('invalid_state', `start() was called on a worker that is ${this.starting ? 'starting' : this.currentState}`);
    }
    this.starting = true;
    try {
      this.executor = await this.startExecutor();
    } finally {
      this.starting = false;
    }
    if (this.stopping$ !== undefined) {
      await this.executor.close();
      throw new WorkerError('invalid_state', 'the worker was stopped while it was starting');
    }
    this.served = [...this.executor.types].sort();
    const { options } = this;

    if (options.redis !== undefined) {
      this.redis = options.redis;
    } else {
      this.redis = connectRedis(options.redisUrl as string, `hotq-worker:${this.id}`);
      this.ownsRedis = true;
      // Each failed reconnection attempt emits an error; the outage is reported once (below).
      this.redis.on('error', (error: Error) => this.log.debug(errorFields(error), 'Redis connection error'));
    }
    this.redis.on('reconnecting', this.onReconnecting);
    this.redis.on('ready', this.onReady);
    this.store = new JobsStore({ redis: this.redis, prefix: options.prefix, queue: options.queue });
    this.tasks = new TaskQueue<JobMessage>({
      redis: this.redis,
      name: options.queue,
      prefix: options.prefix,
      hooks: this.store.queueHooks(),
      leaseMs: options.leaseMs,
    });
    this.nullResultVars = this.store.completion(null).vars;
    this.cancelledVars = this.store.failure({ message: 'cancelled while running', code: 'cancelled' }).vars;
    this.lanes = new ReserveLanes(this.tasks, this.id, this.laneHost());
    this.startedAt = new Date().toISOString();
    this.currentState = 'running';
    void this.warnOnEviction();
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatMs);
    void this.beat();
    this.lanes.kick();
    this.log.info(
      { concurrency: options.concurrency, isolation: options.isolation, leaseMs: options.leaseMs, types: this.served },
      'worker started',
    );
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

  // ---- taking jobs, handing back finished ones ------------------------------------------------

  /** What the reserve calls need from the worker (see ReserveLanes). */
  private laneHost(): LaneHost {
    return {
      concurrency: this.options.concurrency,
      writes: this.writes,
      busySlots: () => this.busy,
      pendingAcks: () => this.pendingAcks.length,
      takeAcks: () => this.takeAcks(),
      connected: () => this.connected(),
      untilReady: (signal) => this.untilReady(signal),
      received: (batch, acked, messages) => {
        this.noteAvailable();
        this.settleAcks(batch, acked);
        for (const message of messages) this.begin(message);
      },
      failed: (batch, error, stopping) => {
        if (batch.length > 0) this.ackFailed(batch, error);
        if (stopping) return;
        if (isUnavailable(error)) this.noteUnavailable(error);
        else this.log.error(errorFields(error), 'taking jobs failed; retrying');
      },
      unexpected: (error) => this.log.error(errorFields(error), 'handling taken jobs failed unexpectedly'),
    };
  }

  /** Whether commands can be sent now (a queued command could run long after its caller gave up). */
  private connected(): boolean {
    const status = this.redis.status;
    return status === 'ready' || status === 'wait';
  }

  /**
   * Connecting, or reconnecting (reported by the connection's events): commands sent now would wait
   * in the client's offline queue and could run long after their caller gave up. Resolves on
   * `ready`, after IDLE_WAIT_MS, or when `signal` aborts.
   */
  private untilReady(signal: AbortSignal): Promise<void> {
    if (this.redis.status === 'end') this.log.error('the Redis connection was closed for good; this worker cannot take jobs');
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_WAIT_MS);
      this.redis.on('ready', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private readonly onReconnecting = (): void => this.noteUnavailable();
  private readonly onReady = (): void => this.noteAvailable();

  private noteUnavailable(error?: unknown): void {
    if (this.redisDown) return;
    this.redisDown = true;
    this.log.warn(error === undefined ? {} : errorFields(error), 'Redis is unreachable; retrying until it is back');
  }

  private noteAvailable(): void {
    if (!this.redisDown) return;
    this.redisDown = false;
    this.log.warn('Redis is reachable again; resuming');
  }

  // ---- one job ---------------------------------------------------------------------------------

  private begin(message: ReservedMessage<JobMessage>): void {
    const previous = this.held.get(message.id);
    // The same job again under a new lease: whatever we held for it is stale.
    if (previous !== undefined && !previous.decided) this.stopJob(previous, 'lease_lost');
    const job = new HeldJob(message, this.log);
    this.held.set(message.id, job);
    if (this.stopping) {
      this.decide(job, { kind: 'released' });
      return;
    }
    const { payload, attempt, maxAttempts } = message;
    const problem = payloadProblem(payload);
    if (problem !== undefined) {
      this.decide(job, { kind: 'failed', error: { name: 'Error', message: problem, code: 'invalid_job', nonRetryable: true } });
      return;
    }
    if (!this.executor.types.has(payload.type)) {
      const text = `no handler for job type "${payload.type}" on worker ${this.id} (it serves ${this.served.join(', ')})`;
      this.decide(job, { kind: 'failed', error: { name: 'Error', message: text, code: 'unknown_type', nonRetryable: true } });
      return;
    }
    const timeoutMs = payload.timeoutMs ?? null;
    const handlerJob: HandlerJob = { id: job.id, type: payload.type, params: payload.params, attempt, maxAttempts, timeoutMs };
    this.busy += 1;
    job.holdsSlot = true;
    if (timeoutMs !== null) job.timeoutTimer = setTimeout(() => this.stopJob(job, 'timeout'), timeoutMs);
    // No race against the job's signal: a job stopped from outside is decided at once (stopJob), and
    // whatever its handler returns later is ignored; its slot stays taken until the handler ends.
    this.executor.run(handlerJob, new JobContext(job, this.writeProgress)).then(
      (outcome) => this.handlerEnded(job, outcome),
      (error: unknown) => this.handlerEnded(job, undefined, error),
    );
  }

  /** The handler ended (or was abandoned): its outcome, unless one was decided already, and its slot. */
  private handlerEnded(job: HeldJob, outcome: RunOutcome | undefined, failure?: unknown): void {
    try {
      if (outcome === undefined) this.log.error(errorFields(failure), 'running a job failed unexpectedly');
      // The slot is freed first, so that the ack queued by decide() and the slot for the next job
      // share one reserve call.
      const freed = this.freeSlot(job);
      if (outcome !== undefined && !job.decided) {
        this.decide(job, outcome.ok ? { kind: 'succeeded', value: outcome.value } : { kind: 'failed', error: outcome.error });
      }
      if (freed) {
        this.changed();
        this.lanes.kick();
      }
    } catch (error) {
      this.log.error(errorFields(error), 'handling the end of a job failed unexpectedly');
    }
  }

  /** Gives the job's slot back; false when it had none (any more). */
  private freeSlot(job: HeldJob): boolean {
    if (!job.holdsSlot) return false;
    job.holdsSlot = false;
    clearTimeout(job.abandonTimer);
    this.busy -= 1;
    return true;
  }

  /** Stops a running job from outside: its outcome is decided now, then its handler is told. */
  private stopJob(job: HeldJob, code: StopCode): void {
    if (job.decided) return;
    switch (code) {
      case 'timeout': {
        const message = `the job timed out after ${job.message.payload.timeoutMs} ms`;
        this.decide(job, { kind: 'failed', error: { name: 'TimeoutError', message, code: 'timeout', nonRetryable: false } });
        break;
      }
      case 'cancelled':
        this.decide(job, { kind: 'cancelled' });
        break;
      case 'lease_lost':
        job.log.warn('lost the lease of a running job (it expired or was taken over); its outcome will not be recorded by this worker');
        this.decide(job, { kind: 'lost' });
        break;
      case 'shutdown':
        this.decide(job, { kind: 'released' });
        break;
    }
    job.abort(stopReason(code));
    if (job.holdsSlot) {
      // The slot stays taken until the handler ends; one that ignores its signal is abandoned (a
      // thread is terminated) after ABANDON_MS.
      job.abandonTimer = setTimeout(() => {
        job.log.warn(`the handler ignored its abort signal for ${ABANDON_MS} ms; its slot is freed, though it may still be running`);
        if (this.freeSlot(job)) {
          this.changed();
          this.lanes.kick();
        }
      }, ABANDON_MS + 500);
    }
  }

  private decide(job: HeldJob, decision: Decision): void {
    if (job.decided) return;
    job.decided = true;
    if (job.timeoutTimer !== undefined) clearTimeout(job.timeoutTimer);
    this.changed();
    switch (decision.kind) {
      case 'succeeded': {
        let vars: Record<string, string>;
        try {
          vars = decision.value === null ? this.nullResultVars : this.store.completion(decision.value).vars;
        } catch (error) {
          const info = describeError(error);
          this.writeFailure(job, { name: info.name, message: `the result cannot be recorded: ${info.message}`, code: 'invalid_result', nonRetryable: true });
          return;
        }
        this.queueAck(job, { lease: job.lease, vars });
        return;
      }
      case 'failed':
        this.writeFailure(job, decision.error);
        return;
      case 'cancelled':
        job.log.debug('job cancelled while running');
        this.queueAck(job, { lease: job.lease, hook: 'cancel', vars: this.cancelledVars });
        return;
      case 'lost':
        this.forget(job);
        return;
      case 'released':
        this.toRelease.push(job);
        return;
    }
  }

  /** A success or a cancellation: written with the next reserve call, or at once when stopping. */
  private queueAck(job: HeldJob, request: AckRequest): void {
    this.pendingAcks.push({ job, request });
    if (this.stopping) this.track(this.flushAcks());
    else this.lanes.kick();
  }

  /** Every ack waiting, now on its way (see HeldJob.ackInFlight). */
  private takeAcks(): readonly PendingAck[] {
    const batch = this.pendingAcks;
    if (batch.length === 0) return NO_ACKS;
    this.pendingAcks = [];
    for (const pending of batch) pending.job.ackInFlight = true;
    return batch;
  }

  private async flushAcks(): Promise<void> {
    const batch = this.takeAcks();
    if (batch.length === 0) return;
    try {
      const { acked } = await this.tasks.reserve({ count: 0, consumer: this.id, acks: batch.map((pending) => pending.request) });
      this.settleAcks(batch, acked);
    } catch (error) {
      this.ackFailed(batch, error);
    }
  }

  private settleAcks(batch: readonly PendingAck[], acked: readonly boolean[]): void {
    if (batch.length === 0) return;
    // Checked once per batch: a job's logger is made only when a line is written.
    const debug = this.log.isLevelEnabled('debug');
    for (let index = 0; index < batch.length; index += 1) {
      const { job, request } = batch[index] as PendingAck;
      this.forget(job);
      if (!acked[index]) job.log.warn('completion refused: this worker no longer holds the job (its lease expired); another attempt owns it');
      else if (debug) job.log.debug(request.hook === 'cancel' ? 'job cancelled' : 'job succeeded');
    }
  }

  /** Acks that could not be written: kept for the next try when Redis is away, else tried one by one. */
  private ackFailed(batch: readonly PendingAck[], error: unknown): void {
    // No longer riding on a reserve call: the heartbeat renews their leases again meanwhile.
    for (const { job } of batch) job.ackInFlight = false;
    if (isUnavailable(error)) {
      this.pendingAcks.unshift(...batch.filter(({ job }) => this.held.get(job.id) === job));
      return;
    }
    // A refusal of one ack (a bad result, a hook error) must not block the others.
    this.log.error(errorFields(error), 'writing completions failed; retrying them one by one');
    for (const { job, request } of batch) {
      this.track(
        this.persist(job, 'record the outcome', () => this.tasks.ack(request.lease, { ...(request.vars ? { vars: request.vars } : {}), ...(request.hook ? { hook: request.hook } : {}) })).then((ok) => {
          this.forget(job);
          if (ok === false) job.log.warn('completion refused: this worker no longer holds the job');
        }),
      );
    }
  }

  /** A failure: retried after a backoff, or failed for good (non-retryable, or the last attempt). */
  private writeFailure(job: HeldJob, error: ErrorInfo): void {
    const { attempt, maxAttempts } = job.message;
    const last = error.nonRetryable || attempt >= maxAttempts;
    const delayMs = last ? 0 : retryDelay(attempt, this.options.backoff);
    const vars = this.store.failure({ message: error.message, ...(error.code === undefined ? {} : { code: error.code }) }).vars;
    this.track(
      this.persist(job, 'record the failure', () =>
        this.tasks.nack(job.lease, { delayMs, reason: error.message, vars, ...(error.nonRetryable ? { dead: true } : {}) }),
      ).then((outcome) => {
        this.forget(job);
        if (outcome === 'stale') job.log.warn('failure refused: this worker no longer holds the job');
        else if (outcome !== undefined) job.log.debug({ code: error.code, outcome, delayMs }, outcome === 'retry' ? 'job failed; will retry' : 'job failed');
      }),
    );
  }

  /**
   * Runs a write, retrying while Redis is unreachable and the lease is still ours (writes are
   * fenced by the lease token, so a resent one cannot apply twice). Gives up on any other error:
   * the lease then runs out and the queue hands the job out again.
   */
  private async persist<T>(job: HeldJob, what: string, write: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 1; ; failures += 1) {
      try {
        return await write();
      } catch (error) {
        if (!isUnavailable(error)) {
          job.log.error(errorFields(error), `could not ${what}; the lease will run out and the queue will hand the job out again`);
          return undefined;
        }
        this.noteUnavailable(error);
        const wait = reconnectDelay(failures);
        if (this.held.get(job.id) !== job || Date.now() + wait > this.finalDeadline) return undefined;
        await delay(wait);
      }
    }
  }

  private async progress(job: HeldJob, value: unknown): Promise<void> {
    const checked = checkProgress(value);
    if (job.decided) return;
    job.nextProgress = checked;
    // Coalesce: while one update is being written, later ones replace each other.
    job.progressWrite ??= (async () => {
      while (job.nextProgress !== undefined && !job.decided) {
        const next = job.nextProgress;
        job.nextProgress = undefined;
        try {
          await withTimeout(this.store.progress(job.id, job.lease.token, next), CALL_TIMEOUT_MS, 'a progress update');
        } catch (error) {
          job.log.warn(errorFields(error), 'a progress update could not be written');
        }
      }
      job.progressWrite = undefined;
    })();
    await job.progressWrite;
  }

  private forget(job: HeldJob): void {
    if (this.held.get(job.id) === job) this.held.delete(job.id);
  }

  private track(write: Promise<unknown>): void {
    const tracked = write.catch((error: unknown) => this.log.error(errorFields(error), 'writing an outcome failed unexpectedly'));
    this.writes.add(tracked);
    void tracked.finally(() => this.writes.delete(tracked));
  }

  private changed(): void {
    if (this.changeListeners.size === 0) return;
    for (const listener of [...this.changeListeners]) listener();
  }

  /** Resolves once `condition` is false (re-checked whenever a job is decided or a slot freed) or at `deadline`. */
  private async whileTrue(condition: () => boolean, deadline: number): Promise<void> {
    while (condition() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.changeListeners.delete(done);
          resolve();
        };
        const timer = setTimeout(done, deadline - Date.now());
        this.changeListeners.add(done);
      });
    }
  }

  // ---- heartbeat: leases and presence -----------------------------------------------------------

  private beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .catch((error: unknown) => this.log.error(errorFields(error), 'the heartbeat failed unexpectedly'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const jobs = [...this.held.values()].filter((job) => !job.ackInFlight && !this.toRelease.includes(job));
    const info: WorkerInfo = {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      queue: this.queue,
      concurrency: this.options.concurrency,
      isolation: this.options.isolation,
      running: jobs.filter((job) => !job.decided).map((job) => job.id),
      startedAt: this.startedAt,
      lastBeatAt: new Date().toISOString(),
      ttlMs: Math.max(this.options.heartbeatMs * 3, this.options.leaseMs),
    };
    // Both calls are written before either answer is read: one round trip for all leases and presence.
    const [extended, presence] = await Promise.allSettled([
      jobs.length > 0 ? this.tasks.extend(jobs.map((job) => job.lease)) : Promise.resolve([]),
      withTimeout(this.store.recordWorker(info), CALL_TIMEOUT_MS, 'the worker heartbeat'),
    ]);
    if (extended.status === 'fulfilled') {
      extended.value.forEach((result, index) => {
        const job = jobs[index] as HeldJob;
        if (this.held.get(job.id) !== job) return;
        if (!result.held) this.leaseLost(job);
        else if (result.cancelRequested) this.stopJob(job, 'cancelled');
      });
    } else if (isUnavailable(extended.reason)) {
      this.noteUnavailable(extended.reason);
    } else {
      this.log.error(errorFields(extended.reason), 'renewing leases failed');
    }
    if (presence.status === 'rejected') this.log.debug(errorFields(presence.reason), 'writing the presence record failed');
  }

  private leaseLost(job: HeldJob): void {
    if (!job.decided) {
      this.stopJob(job, 'lease_lost');
      return;
    }
    // Finished, but its outcome was not written in time: the write would be refused anyway.
    this.forget(job);
    this.pendingAcks = this.pendingAcks.filter((pending) => pending.job !== job);
    job.log.warn('lost the lease of a finished job before its outcome was written; another attempt owns it');
  }

  private async warnOnEviction(): Promise<void> {
    try {
      const policy = await evictionPolicy(this.redis);
      if (policy !== null && policy !== 'noeviction') {
        this.log.warn(
          { maxmemoryPolicy: policy },
          `Redis maxmemory-policy is "${policy}", not "noeviction": under memory pressure Redis may evict queued jobs and job records, and no queue can promise anything then. Set maxmemory-policy noeviction.`,
        );
      }
    } catch (error) {
      this.log.debug(errorFields(error), 'could not read Redis maxmemory-policy');
    }
  }

  // ---- shutdown ---------------------------------------------------------------------------------

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    this.currentState = 'stopping';
    this.log.info({ running: this.running().length, graceMs }, 'worker stopping');
    // The calls in flight come back (a wait for work is interrupted); jobs they bring are handed back.
    await this.lanes.stop();

    // Grace: running jobs may finish; their outcomes are written as they do.
    await this.whileTrue(() => this.running().length > 0, Date.now() + graceMs);
    const late = this.running();
    if (late.length > 0) this.log.info({ jobs: late }, 'grace time over; handing the remaining jobs back');
    for (const job of [...this.held.values()]) if (!job.decided) this.stopJob(job, 'shutdown');

    this.finalDeadline = Date.now() + FINAL_WRITES_MS;
    await this.finalWrites();
    clearInterval(this.heartbeat);
    if (this.beating) await settlesWithin(this.beating, 1_000);
    if (this.connected()) {
      await withTimeout(this.store.forgetWorker(this.id), 1_000, 'removing the worker record').catch((error: unknown) => {
        this.log.debug(errorFields(error), 'could not remove the presence record (it expires by itself)');
      });
    }
    // Handlers told to stop get a moment to end (abandoned ones free their slots after ABANDON_MS).
    await this.whileTrue(() => this.busy > 0, Date.now() + ABANDON_MS + 1_000);
    await this.executor.close();
    await this.tasks.close();
    if (this.ownsRedis && !this.connected()) {
      this.redis.disconnect();
    } else if (this.ownsRedis) {
      try {
        await withTimeout(this.redis.quit(), 1_000, 'QUIT');
      } catch {
        this.redis.disconnect();
      }
    }
    this.redis.off('reconnecting', this.onReconnecting);
    this.redis.off('ready', this.onReady);
    this.currentState = 'stopped';
    this.log.info('worker stopped');
  }

  /** Acks and releases still pending, and failures in flight; retried until FINAL_WRITES_MS. */
  private async finalWrites(): Promise<void> {
    for (;;) {
      const acks = this.pendingAcks.length > 0 ? this.flushAcks() : Promise.resolve();
      const releases = this.toRelease.splice(0);
      const released =
        releases.length === 0
          ? Promise.resolve()
          : this.tasks.release(releases.map((job) => job.lease)).then(
              (count) => {
                releases.forEach((job) => this.forget(job));
                this.log.info({ released: count, jobs: releases.map((job) => job.id) }, 'handed jobs back to the queue');
              },
              (error: unknown) => {
                if (isUnavailable(error)) this.toRelease.unshift(...releases.filter((job) => this.held.get(job.id) === job));
                else {
                  releases.forEach((job) => this.forget(job));
                  this.log.error(errorFields(error), 'handing jobs back failed; their leases will run out instead');
                }
              },
            );
      await Promise.all([acks, released]);
      await Promise.allSettled([...this.writes]);
      if (this.pendingAcks.length === 0 && this.toRelease.length === 0) return;
      if (Date.now() >= this.finalDeadline) {
        this.log.warn(
          { pending: this.pendingAcks.length + this.toRelease.length },
          'could not write every outcome before stopping (Redis unreachable); those leases will run out and the jobs will be handed out again',
        );
        return;
      }
      await delay(200);
    }
  }
}

/**
 * Creates a worker: the consumer of one queue. Call `start()` to begin taking jobs and `stop()` to
 * end gracefully. Options are checked at once (a {@link WorkerError} names the first bad one);
 * nothing touches Redis before `start()`.
 *
 * It builds `new JobsStore({ redis, prefix, queue })` and
 * `new TaskQueue<JobMessage>({ redis, name: queue, prefix, hooks: store.queueHooks(), leaseMs })`, so
 * every step of a job (start, progress, success, failure, cancellation, hand-back) is one fenced
 * script changing queue and record together.
 * @public
 */
export function createWorker(options: WorkerOptions): Worker {
  return new WorkerRuntime(resolveOptions(options));
}
