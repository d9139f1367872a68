import { Worker as Thread } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DependencyOutcome } from '@hotq/jobs-store';
import { WorkerError } from './errors.js';
import type { HandlerContext, HandlerJob } from './handler-types.js';
import type { Executor } from './_executor.js';
import type { ErrorInfo, RunOutcome, StopCode } from './_handler-run.js';
import type { FromThread, ThreadData, ToThread } from './_thread-protocol.js';

const ENTRY = new URL('./_thread-entry.js', import.meta.url);

interface Current {
  readonly id: string;
  /** The job's context in the main thread: its progress and logger serve the thread's messages. */
  readonly context: HandlerContext;
  finish(outcome: RunOutcome): void;
}

interface Slot {
  readonly thread: Thread;
  /** The job it runs; undefined when idle. */
  current: Current | undefined;
  /** Set when the pool ended the thread on purpose (abandoned handler, close). */
  retired: boolean;
}

function failure(message: string, code: string): RunOutcome {
  const error: ErrorInfo = { name: 'Error', message, code, nonRetryable: false };
  return { ok: false, error };
}

/**
 * Handlers in worker_threads, one job per thread at a time, `size` threads kept alive. A CPU-bound
 * handler blocks only its thread, so the main thread keeps renewing leases. A handler that does not
 * end within `abandonMs` of its signal being aborted has its thread terminated and replaced.
 */
export class ThreadPool implements Executor {
  readonly types = new Set<string>();
  private readonly slots = new Set<Slot>();
  private closed = false;

  constructor(
    private readonly options: { size: number; handlersModule: string | undefined; abandonMs: number; logger: Logger },
  ) {}

  async start(): Promise<void> {
    const started = await Promise.allSettled(Array.from({ length: this.options.size }, () => this.spawn()));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
  }

  async run(job: HandlerJob, context: HandlerContext): Promise<RunOutcome> {
    const { signal } = context;
    let slot = [...this.slots].find((candidate) => candidate.current === undefined && !candidate.retired);
    if (slot === undefined) {
      // Only after a thread died and its replacement failed to start: try once more now.
      try {
        slot = await this.spawn();
      } catch (error) {
        return failure(`no handler thread could be started: ${(error as Error).message}`, 'thread_unavailable');
      }
    }
    const chosen = slot;
    return await new Promise<RunOutcome>((resolve) => {
      let abandonTimer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        const code = (signal.reason as { code?: StopCode } | undefined)?.code ?? 'shutdown';
        this.post(chosen, { kind: 'abort', id: job.id, code });
        abandonTimer = setTimeout(() => {
          this.options.logger.warn({ job: job.id, type: job.type }, `handler did not stop within ${this.options.abandonMs} ms of being asked; terminating its thread`);
          current.finish(failure(`the handler did not stop within ${this.options.abandonMs} ms of being asked, so its thread was terminated`, 'abandoned'));
          this.retire(chosen);
        }, this.options.abandonMs);
      };
      const current: Current = {
        id: job.id,
        context,
        finish: (outcome) => {
          if (chosen.current !== current) return;
          chosen.current = undefined;
          clearTimeout(abandonTimer);
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      chosen.current = current;
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const error = this.post(chosen, { kind: 'run', job });
      if (error !== undefined) current.finish(failure(`the job could not be sent to its handler thread: ${error.message}`, 'thread_unavailable'));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots];
    this.slots.clear();
    await Promise.all(
      slots.map(async (slot) => {
        slot.retired = true;
        slot.current?.finish(failure('the worker closed its handler threads', 'shutdown'));
        await slot.thread.terminate();
      }),
    );
  }

  /** Sends a message to a thread; an error (the thread is gone) is returned, not thrown. */
  private post(slot: Slot, message: ToThread): Error | undefined {
    try {
      slot.thread.postMessage(message);
      return undefined;
    } catch (error) {
      return error as Error;
    }
  }

  /** Starts one thread and resolves once its handlers are loaded. */
  private spawn(): Promise<Slot> {
    return new Promise<Slot>((resolve, reject) => {
      const data: ThreadData = { handlersModule: this.options.handlersModule };
      const thread = new Thread(ENTRY, { workerData: data, stdout: false, stderr: false });
      const slot: Slot = { thread, current: undefined, retired: false };
      let ready = false;
      thread.on('message', (message: FromThread) => {
        switch (message.kind) {
          case 'ready':
            ready = true;
            for (const type of message.types) this.types.add(type);
            if (this.closed) {
              void thread.terminate();
              reject(new WorkerError('invalid_state', 'the worker stopped while its handler threads were starting'));
              return;
            }
            this.slots.add(slot);
            resolve(slot);
            return;
          case 'load-failed':
            reject(new WorkerError('handlers_unloadable', message.message));
            return;
          case 'done':
            if (slot.current?.id === message.id) slot.current.finish(message.outcome);
            return;
          case 'progress': {
            const reply = (error: string | undefined): void => void this.post(slot, { kind: 'progress-done', seq: message.seq, error });
            if (slot.current?.id !== message.id) return reply(undefined);
            slot.current.context.progress(message.value as number).then(
              () => reply(undefined),
              (error: unknown) => reply((error as Error).message),
            );
            return;
          }
          case 'dependencies': {
            const reply = (outcomes: DependencyOutcome[], error: string | undefined): void =>
              void this.post(slot, { kind: 'dependencies-done', seq: message.seq, outcomes, error });
            if (slot.current?.id !== message.id) return reply([], 'the job is no longer running here');
            slot.current.context.dependencies().then(
              (outcomes) => reply(outcomes, undefined),
              (error: unknown) => reply([], (error as Error).message),
            );
            return;
          }
          case 'log': {
            if (slot.current?.id !== message.id) return;
            const { log } = slot.current.context;
            try {
              if (message.fields === undefined) log[message.level](message.message ?? '');
              else log[message.level](message.fields, message.message);
            } catch (error) {
              this.options.logger.warn({ err: { message: (error as Error).message } }, 'a log line from a handler thread could not be written');
            }
            return;
          }
        }
      });
      thread.on('error', (error) => {
        // An exception nobody caught inside the thread (or a failed module load): the thread ends.
        if (!ready) {
          reject(new WorkerError('handlers_unloadable', `a handler thread failed to start: ${error.message}`, { cause: error }));
          return;
        }
        this.options.logger.error({ err: { message: error.message, name: error.name } }, 'a handler thread crashed');
        slot.current?.finish(failure(`the handler's thread crashed: ${error.message}`, 'thread_crashed'));
      });
      thread.on('exit', (code) => {
        this.slots.delete(slot);
        if (!ready) {
          reject(new WorkerError('handlers_unloadable', `a handler thread exited with code ${code} while loading its handlers`));
          return;
        }
        slot.current?.finish(failure(`the handler's thread exited with code ${code}`, 'thread_crashed'));
        if (!slot.retired && !this.closed) this.replace();
      });
    });
  }

  /** Ends a thread on purpose and starts another in its place. */
  private retire(slot: Slot): void {
    slot.retired = true;
    this.slots.delete(slot);
    void slot.thread.terminate();
    if (!this.closed) this.replace();
  }

  private replace(): void {
    this.spawn().catch((error: unknown) => {
      if (this.closed) return;
      this.options.logger.error({ err: { message: (error as Error).message } }, 'could not start a replacement handler thread');
    });
  }
}
