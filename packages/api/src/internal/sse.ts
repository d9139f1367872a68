import type { Request, Response } from 'express';

/** An open Server-Sent Events response. */
export interface EventStream {
  /** Sends one event (with an SSE id when given); false once the stream is closed. */
  send(event: string, data: unknown, id?: string): boolean;
  /** Sends one event whose data is already JSON text (one serialization for many streams). */
  sendText(event: string, json: string): boolean;
  /** Bytes written but not yet taken by the client: a client that falls behind. */
  readonly buffered: number;
  /** Ends the stream (idempotent). */
  close(): void;
  /** Whether the stream has been closed, by us or by the client. */
  readonly closed: boolean;
}

/**
 * Starts an event stream: headers out at once (so the client knows it is connected), a comment line
 * every `keepAliveMs` so proxies do not cut an idle connection, and `onClose` once when either side
 * ends it.
 */
export function openEventStream(req: Request, res: Response, keepAliveMs: number, onClose: () => void): EventStream {
  res.status(200);
  res.set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    // nginx and friends: do not buffer the stream.
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  req.socket.setNoDelay(true);
  // The retry hint for EventSource reconnects; also gets the first bytes out.
  res.write('retry: 3000\n\n');

  let closed = false;
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, keepAliveMs);
  keepAlive.unref();

  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    onClose();
  };
  res.on('close', finish);

  return {
    get closed() {
      return closed;
    },
    get buffered() {
      return res.writableLength;
    },
    sendText(event, json) {
      if (closed) return false;
      res.write(`event: ${event}\ndata: ${json}\n\n`);
      return true;
    },
    send(event, data, id) {
      if (closed) return false;
      // JSON has no raw newlines, so one data line carries the whole event.
      res.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      return true;
    },
    close() {
      if (!res.writableEnded) res.end();
      finish();
    },
  };
}
