import type { AppContext } from '../context.js';
import type { FeedClient } from '../job-feed.js';
import * as op from '../operations.js';
import { route, type Route } from '../route.js';
import { openEventStream, type EventStream } from '../sse.js';

/** A client this far behind (bytes written and not taken) is let go: it reconnects and reads again. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

/** GET /events: every job's changes, from the process's one subscription (the feed), until the client leaves. */
export function queueEventRoutes(ctx: AppContext): Route[] {
  const { feed, redisCall, streams, keepAliveMs } = ctx;

  return [
    route(op.queueEvents, async (_input, req, res) => {
      if (req.method === 'HEAD') {
        res.status(200).type('text/event-stream').end();
        return;
      }
      let stream: EventStream | undefined = undefined;
      const client: FeedClient = {
        send: (event, data) => {
          if (!stream) return;
          if (stream.buffered > MAX_BUFFERED_BYTES) stream.close();
          else stream.sendText(event, data);
        },
      };
      // The headers go out once the process is subscribed: from then on every change reaches this
      // stream, so a client that reads what it shows after they arrive misses nothing.
      const membership = feed.join(client);
      try {
        await redisCall(membership.ready, 'subscribe to the queue\'s events');
      } catch (error) {
        membership.leave();
        throw error;
      }
      if (req.socket.destroyed || res.writableEnded) {
        membership.leave();
        return;
      }
      const closer = (): void => stream?.close();
      stream = openEventStream(req, res, keepAliveMs, () => {
        streams.delete(closer);
        membership.leave();
      });
      streams.add(closer);
    }),
  ];
}
