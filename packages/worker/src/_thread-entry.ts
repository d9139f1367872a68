// The body of one handler thread: loads the handlers, then runs the jobs the main thread sends, one
// at a time, reporting progress, log lines and the outcome back. Imports nothing that talks to Redis.
import { parentPort, workerData } from 'node:worker_threads';
import type { DependencyOutcome } from '@hotq/jobs-store';
import type { HandlerContext, Handlers, JobLogMethod, JobLogger } from './handler-types.js';
import { checkProgress, runHandler, stopReason } from './_handler-run.js';
import { loadHandlersModule, mergeHandlers } from './_handlers-module.js';
import type { FromThread, LogLevel, ThreadData, ToThread } from './_thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('the handler thread entry must run in a worker thread');
const send = (message: FromThread): void => port.postMessage(message);
const data = workerData as ThreadData;

let handlers: Handlers | undefined;
try {
  handlers = mergeHandlers(data.handlersModule === undefined ? undefined : await loadHandlersModule(data.handlersModule));
} catch (error) {
  send({ kind: 'load-failed', message: (error as Error).message });
  port.close();
}

if (handlers !== undefined) {
  const loaded = handlers;
  const controllers = new Map<string, AbortController>();

  const logger = (id: string): JobLogger => {
    const method = (level: LogLevel): JobLogMethod => (objOrMessage, message) => {
      const fields = typeof objOrMessage === 'object' && objOrMessage !== null ? objOrMessage : undefined;
      const text = typeof objOrMessage === 'string' ? objOrMessage : message;
      try {
        send({ kind: 'log', id, level, fields, message: text });
      } catch {
        // Fields that cannot be cloned: send their JSON form instead.
        send({ kind: 'log', id, level, fields: { fields: safeJson(fields) }, message: text });
      }
    };
    return { trace: method('trace'), debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
  };

  // Progress updates waiting for the main thread to write them, by sequence number.
  const progressWaiters = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let progressSeq = 0;
  // Reads of dependencies waiting for the main thread, by sequence number.
  const dependencyWaiters = new Map<number, { resolve(outcomes: DependencyOutcome[]): void; reject(error: Error): void }>();

  port.on('message', (message: ToThread) => {
    if (message.kind === 'abort') {
      controllers.get(message.id)?.abort(stopReason(message.code));
      return;
    }
    if (message.kind === 'dependencies-done') {
      const waiter = dependencyWaiters.get(message.seq);
      dependencyWaiters.delete(message.seq);
      if (message.error === undefined) waiter?.resolve(message.outcomes);
      else waiter?.reject(new Error(message.error));
      return;
    }
    if (message.kind === 'progress-done') {
      const waiter = progressWaiters.get(message.seq);
      progressWaiters.delete(message.seq);
      if (message.error === undefined) waiter?.resolve();
      else waiter?.reject(new TypeError(message.error));
      return;
    }
    const { job } = message;
    const controller = new AbortController();
    controllers.set(job.id, controller);
    const context: HandlerContext = {
      signal: controller.signal,
      attempt: job.attempt,
      // Resolves once the main thread has written it, as in the main thread.
      progress: (value: unknown): Promise<void> => {
        const checked = checkProgress(value);
        const seq = (progressSeq += 1);
        return new Promise<void>((resolve, reject) => {
          progressWaiters.set(seq, { resolve, reject });
          send({ kind: 'progress', id: job.id, seq, value: checked });
        });
      },
      log: logger(job.id),
      dependencies: (): Promise<DependencyOutcome[]> => {
        const seq = (progressSeq += 1);
        return new Promise<DependencyOutcome[]>((resolve, reject) => {
          dependencyWaiters.set(seq, { resolve, reject });
          send({ kind: 'dependencies', id: job.id, seq });
        });
      },
    };
    void runHandler(loaded[job.type] as (typeof loaded)[string], job, context).then((outcome) => {
      controllers.delete(job.id);
      try {
        send({ kind: 'done', id: job.id, outcome });
      } catch (error) {
        // The result cannot cross threads (a function, a class instance with private state...).
        send({
          kind: 'done',
          id: job.id,
          outcome: {
            ok: false,
            error: { name: 'DataCloneError', message: `the handler's result cannot be sent from its thread: ${(error as Error).message}`, code: 'invalid_result', nonRetryable: true },
          },
        });
      }
    });
  });

  send({ kind: 'ready', types: Object.keys(loaded) });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
