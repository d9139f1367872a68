import { hostname } from 'node:os';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TaskQueue, type AckRequest, type Lease, type ReservedMessage } from '@hotq/queue-core';
import { JobsStore, type JobMessage, type WorkerInfo } from '@hotq/jobs-store';
import { WorkerError } from './errors.js';
import type { HandlerJob, ProgressValue } from './handler-types.js';
import type { StopOptions, Worker, WorkerOptions, WorkerState } from './worker-types.js';
import { reconnectDelay, retryDelay } from './_backoff.js';
import { InlineExecutor, type Executor } from './_executor.js';
import { checkProgress, describeError, stopReason, type ErrorInfo, type StopCode } from './_handler-run.js';
import { loadHandlersModule, mergeHandlers, handlersModuleUrl } from './_handlers-module.js';
import { createLogger } from './_logger.js';
import { resolveOptions, type ResolvedOptions } from './_options.js';
import { connectRedis, evictionPolicy, isUnavailable, withTimeout } from './_redis.js';
import { ThreadPool } from './_thread-pool.js';

/** How long an idle worker blocks waiting for work before it asks the queue again. */
const IDLE_WAIT_MS = 2_000;
/** How long a stopped handler may keep its slot (and, in a thread, its thread) before it is abandoned. */
const ABANDON_MS = 2_000;
/** How long stop() keeps trying to write outcomes still pending (Redis down) before leaving them to lease expiry. */
const FINAL_WRITES_MS = 5_000;
/** Bound on calls that queue-core does not bound itself (presence, progress, quit). */
const CALL_TIMEOUT_MS = 10_000;

/** What became of a job, decided once; later events for the same job are ignored. */
type Decision =
  | { readonly kind: 'succeeded'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly error: ErrorInfo }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'lost' }
  | { readonly kind: 'released' };

/** A lease this worker holds: its handler runs, or its outcome is still being written. */
class HeldJob {
  /** An outcome was chosen; the handler's own result, if it comes later, is ignored. */
  decided = false;
  timer: NodeJS.Timeout | undefined;
  readonly controller = new AbortController();
  readonly lease: Lease;
  nextProgress: ProgressValue | undefined;
  progressWrite: Promise<void> | undefined;
  private logger: Logger | undefined;

  constructor(
    readonly message: ReservedMessage<JobMessage>,
    private readonly parentLog: Logger,
  ) {
    this.lease = { id: message.id, token: message.token };
  }

  get id(): string {
    return this.message.id;
  }

  /** The job's logger, made on first use (most jobs never log). */
  get log(): Logger {
    return (this.logger ??= this.parentLog.child({ job: this.message.id, type: this.message.payload?.type, attempt: this.message.attempt }));
  }
}

interface PendingAck {
  readonly job: HeldJob;
  readonly request: AckRequest;
}

/** Why a payload cannot be run at all, or undefined when it is well-formed. */
function payloadProblem(payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null) return 'the job message is not an object';
  const { type, params, timeoutMs } = payload as Partial<JobMessage>;
  if (typeof type !== 'string' || type === '') return 'the job message has no type';
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return 'the job message has no params object';
  if (timeoutMs !== null && timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs > 0))) {
    return 'the job message has an invalid timeoutMs';
  }
  return undefined;
}

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Whether `work` settled within `ms` (it is not cancelled either way). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function errorFields(error: unknown): { err: { name: string; message: string; code?: string } } {
  const info = describeError(error);
  return { err: { name: info.name, message: info.message, ...(info.code ? { code: info.code } : {}) } };
}

/**
 * The runtime behind {@link createWorker}.
 *
 * Round trips (PERF-NOTES.md): while busy, ONE per job — a finished job's ack rides on the reserve
 * that takes the next job (`TaskQueue.reserve({ acks })`); a failure is one nack; progress is one call
 * per (coalesced) update; leases of ALL held jobs are renewed by one `extend` per heartbeat, sent
 * together with the presence pipeline. While idle: one reserve, a blocking wait on the queue's wake
 * list (on the queue's own connection), one reserve; a job finishing meanwhile is acked at once.
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
  /** Writes in flight outside the loop (nacks, direct ack flushes), awaited by stop(). */
  private readonly writes = new Set<Promise<unknown>>();
  /** Handler runs in flight, awaited (briefly) by stop(). */
  private readonly executions = new Set<Promise<unknown>>();

  private starting = false;
  private stopping = false;
  /** The loop's current reserve may block waiting for work: finished jobs are acked directly. */
  private idle = false;
  private readonly loopAbort = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private wakeLoop: (() => void) | undefined;
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
    this.startedAt = new Date().toISOString();
    this.currentState = 'running';
    void this.warnOnEviction();
    this.heartbeat = setInterval(() => void this.beat(), options.heartbeatMs);
    void this.beat();
    this.loopDone = this.loop();
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

  // ---- the loop: take jobs, hand back finished ones -------------------------------------------

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      const free = this.options.concurrency - this.busy;
      if (free <= 0 && this.pendingAcks.length === 0) {
        await new Promise<void>((resolve) => (this.wakeLoop = resolve));
        // Let the other handlers that are finishing in this same turn finish too, so that their
        // acks share one reserve instead of one round trip each.
        if (this.options.concurrency > 1) await yieldTurn();
        continue;
      }
      if (!this.connected()) {
        // Connecting, or reconnecting (reported by the connection's events): commands sent now would
        // wait in the client's offline queue and could run long after their caller gave up.
        if (this.redis.status === 'end') this.log.error('the Redis connection was closed for good; this worker cannot take jobs');
        await this.untilReady();
        continue;
      }
      if (this.pendingAcks.length === 0 && this.writes.size > 0) {
        // A failure being written may schedule a retry: let the queue know of it before an idle
        // wait, whose length the queue bounds by the next due retry.
        await Promise.allSettled([...this.writes]);
        continue;
      }
      const batch = this.pendingAcks.splice(0);
      const waitMs = batch.length === 0 && free > 0 ? IDLE_WAIT_MS : 0;
      this.idle = waitMs > 0;
      try {
        // The hot path: acks of finished jobs and leases of new ones, one script, one round trip.
        const { messages, acked } = await this.tasks.reserve({
          count: Math.max(0, free),
          consumer: this.id,
          acks: batch.map((pending) => pending.request),
          waitMs,
          signal: this.loopAbort.signal,
        });
        this.idle = false;
        failures = 0;
        this.noteAvailable();
        this.settleAcks(batch, acked);
        for (const message of messages) this.begin(message);
      } catch (error) {
        this.idle = false;
        if (batch.length > 0) this.ackFailed(batch, error);
        if (this.stopping) break;
        failures += 1;
        if (isUnavailable(error)) this.noteUnavailable(error);
        else this.log.error(errorFields(error), 'taking jobs failed; retrying');
        await delay(reconnectDelay(failures), this.loopAbort.signal);
      }
    }
  }

  private wake(): void {
    const resolve = this.wakeLoop;
    this.wakeLoop = undefined;
    resolve?.();
  }

  /** Whether commands can be sent now (a queued command could run long after its caller gave up). */
  private connected(): boolean {
    const status = this.redis.status;
    return status === 'ready' || status === 'wait';
  }

  private untilReady(): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.loopAbort.signal;
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
    this.busy += 1;
    const execution = this.execute(job).catch((error: unknown) => this.log.error(errorFields(error), 'running a job failed unexpectedly'));
    this.executions.add(execution);
    void execution.finally(() => this.executions.delete(execution));
  }

  private async execute(job: HeldJob): Promise<void> {
    try {
      const { payload, attempt, maxAttempts } = job.message;
      const problem = payloadProblem(payload);
      if (problem !== undefined) {
        this.decide(job, { kind: 'failed', error: { name: 'Error', message: problem, code: 'invalid_job', nonRetryable: true } });
        return;
      }
      if (!this.executor.types.has(payload.type)) {
        const message = `no handler for job type "${payload.type}" on worker ${this.id} (it serves ${this.served.join(', ')})`;
        this.decide(job, { kind: 'failed', error: { name: 'Error', message, code: 'unknown_type', nonRetryable: true } });
        return;
      }
      const timeoutMs = payload.timeoutMs ?? null;
      const handlerJob: HandlerJob = { id: job.id, type: payload.type, params: payload.params, attempt, maxAttempts, timeoutMs };
      if (timeoutMs !== null) job.timer = setTimeout(() => this.stopJob(job, 'timeout'), timeoutMs);
      const { signal } = job.controller;
      const stopped = new Promise<'stopped'>((resolve) => signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
      const execution = this.executor.run(handlerJob, signal, { progress: (value) => this.progress(job, value), log: job.log });
      const first = await Promise.race([execution, stopped]);
      if (first !== 'stopped') {
        this.decide(job, first.ok ? { kind: 'succeeded', value: first.value } : { kind: 'failed', error: first.error });
        return;
      }
      // Stopped from outside (its outcome was decided then). The slot stays taken until the handler
      // ends; one that ignores its signal is abandoned (a thread is terminated) after ABANDON_MS.
      if (!(await settlesWithin(execution, ABANDON_MS + 500))) {
        job.log.warn(`the handler ignored its abort signal for ${ABANDON_MS} ms; its slot is freed, though it may still be running`);
      }
    } finally {
      this.busy -= 1;
      this.wake();
      this.changed();
    }
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
    job.controller.abort(stopReason(code));
  }

  private decide(job: HeldJob, decision: Decision): void {
    if (job.decided) return;
    job.decided = true;
    clearTimeout(job.timer);
    this.changed();
    switch (decision.kind) {
      case 'succeeded': {
        let vars: Record<string, string>;
        try {
          vars = this.store.completion(decision.value).vars;
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
        this.queueAck(job, { lease: job.lease, hook: 'cancel', vars: this.store.failure({ message: 'cancelled while running', code: 'cancelled' }).vars });
        return;
      case 'lost':
        this.forget(job);
        return;
      case 'released':
        this.toRelease.push(job);
        return;
    }
  }

  /** A success or a cancellation: written with the next reserve, or at once when the loop is blocked or stopping. */
  private queueAck(job: HeldJob, request: AckRequest): void {
    this.pendingAcks.push({ job, request });
    if (this.idle || this.stopping) this.track(this.flushAcks());
    else this.wake();
  }

  private async flushAcks(): Promise<void> {
    const batch = this.pendingAcks.splice(0);
    if (batch.length === 0) return;
    try {
      const { acked } = await this.tasks.reserve({ count: 0, consumer: this.id, acks: batch.map((pending) => pending.request) });
      this.settleAcks(batch, acked);
    } catch (error) {
      this.ackFailed(batch, error);
    }
  }

  private settleAcks(batch: readonly PendingAck[], acked: readonly boolean[]): void {
    batch.forEach(({ job, request }, index) => {
      this.forget(job);
      if (acked[index]) job.log.debug(request.hook === 'cancel' ? 'job cancelled' : 'job succeeded');
      else job.log.warn('completion refused: this worker no longer holds the job (its lease expired); another attempt owns it');
    });
  }

  /** Acks that could not be written: kept for the next try when Redis is away, else tried one by one. */
  private ackFailed(batch: readonly PendingAck[], error: unknown): void {
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
    for (const listener of [...this.changeListeners]) listener();
  }

  // ---- heartbeat: leases and presence -----------------------------------------------------------

  private beat(): Promise<void> {
    this.beating ??= this.beatOnce()
      .catch((error: unknown) => this.log.error(errorFields(error), 'the heartbeat failed unexpectedly'))
      .finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async beatOnce(): Promise<void> {
    const jobs = [...this.held.values()].filter((job) => !this.toRelease.includes(job));
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
    this.loopAbort.abort();
    this.wake();
    await this.loopDone;

    // Grace: running jobs may finish; their outcomes are written as they do.
    const deadline = Date.now() + graceMs;
    while (this.running().length > 0 && Date.now() < deadline) {
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
    await settlesWithin(Promise.allSettled([...this.executions]), ABANDON_MS + 1_000);
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
