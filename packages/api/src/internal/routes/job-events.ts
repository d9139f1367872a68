import type { JobEvent } from '@hotq/jobs-store';
import type { AppContext } from '../context.js';
import { jobBody } from '../context.js';
import { ApiError } from '../errors.js';
import * as op from '../operations.js';
import { route, type Route } from '../route.js';
import { openEventStream, type EventStream } from '../sse.js';

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
/** The SSE id of the last event of a stream (the terminal status). */
const END_ID = 'end';

/** GET /jobs/:id/events: the job's status and progress as Server-Sent Events, until it ends. */
export function jobEventRoutes(ctx: AppContext): Route[] {
  const { store, redisCall, streams, keepAliveMs, logger } = ctx;

  return [
    route(op.jobEvents, async ({ params }, req, res) => {
      if (req.method === 'HEAD') {
        // The headers a GET would get, without holding a stream open.
        if (!(await redisCall(store.get(params.id), 'read job'))) throw new ApiError('not_found', `no job ${params.id}`);
        res.status(200).type('text/event-stream').end();
        return;
      }

      // Events that arrive before the stream is open (the store sends the current state at once) wait here.
      let stream: EventStream | undefined = undefined;
      const early: JobEvent[] = [];
      const deliver = (event: JobEvent): void => {
        if (!stream) {
          early.push(event);
          return;
        }
        if (event.kind === 'progress') {
          stream.send('progress', { id: event.id, progress: event.progress });
          return;
        }
        if (TERMINAL.has(event.job.status)) {
          stream.send('status', jobBody(event.job), END_ID);
          stream.close();
          return;
        }
        stream.send('status', jobBody(event.job));
      };

      // The store subscribes, then reads the job and sends it first (JobNotFoundError: 404). One round trip
      // for the read, plus the subscription when this is the store's first watcher.
      const watching = store.watch(params.id, deliver);
      let unsubscribe: () => Promise<void>;
      try {
        unsubscribe = await redisCall(watching, 'watch job');
      } catch (error) {
        // Gave up waiting: if the subscription still comes through, drop it.
        watching.then((late) => late(), () => {}).catch(() => {});
        throw error;
      }
      const stop = (): void => {
        unsubscribe().catch((error: unknown) => logger.warn({ err: { message: (error as Error)?.message } }, 'could not unsubscribe an event stream'));
      };
      if (req.socket.destroyed || res.writableEnded) {
        // The client left while we subscribed.
        stop();
        return;
      }

      // An EventSource reconnects by itself after a stream ends; it sends back the id of the last event
      // it saw. When that was the end and the job is still over, 204 tells it to stop reconnecting.
      const first = early[0];
      if (req.get('last-event-id') === END_ID && first?.kind === 'status' && TERMINAL.has(first.job.status)) {
        stop();
        res.status(204).end();
        return;
      }

      const closer = (): void => stream?.close();
      stream = openEventStream(req, res, keepAliveMs, () => {
        streams.delete(closer);
        stop();
      });
      streams.add(closer);
      for (const event of early.splice(0)) deliver(event);
    }),
  ];
}
