// A bare HTTP/1.1 client over a TCP socket, for requests fetch refuses to send: raw bytes (invalid
// UTF-8, control characters) in the request line and headers, odd methods and versions, hand-made
// chunked framing, repeated or conflicting headers.
import { connect } from 'node:net';

/** What came back: the status line's code (null when the server closed without answering). */
export interface RawAnswer {
  status: number | null;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Sends `bytes` as they are on a new connection and reads one answer. The request should say
 * `Connection: close`; the answer ends when the server closes, when its Content-Length is read, or
 * at once for HEAD, 204/304 and event streams (which stay open); interim 1xx answers are skipped. Rejects when nothing
 * conclusive arrives within `timeoutMs` (a hang is a finding too).
 */
export async function rawRequest(port: number, bytes: Buffer, options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawAnswer> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return await new Promise<RawAnswer>((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let data: Buffer = Buffer.alloc(0);
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        reject(error);
        return;
      }
      resolve(parse(data));
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer within ${timeoutMs} ms; got ${JSON.stringify(data.subarray(0, 200).toString('latin1'))}`)), timeoutMs);
    socket.on('connect', () => {
      // The server may answer (and close) before it has read everything: a write error then is not ours.
      socket.write(bytes, () => {});
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer arrived (the server closed on unread bytes) still leaves an answer.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') finish();
      else finish(error);
    });
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      data = withoutInterim(data);
      if (complete(data, options.head === true)) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
  });
}

/** Drops interim answers (`100 Continue`, `102`...): the final answer follows them. */
function withoutInterim(data: Buffer): Buffer {
  let rest: Buffer = data;
  while (/^HTTP\/1\.[01] 1\d\d/.test(rest.subarray(0, 12).toString('latin1')) && headEnd(rest) >= 0) rest = rest.subarray(headEnd(rest) + 4);
  return rest;
}

function headEnd(data: Buffer): number {
  return data.indexOf('\r\n\r\n');
}

function complete(data: Buffer, head: boolean): boolean {
  const end = headEnd(data);
  if (end < 0) return false;
  const answer = parse(data);
  if (answer.status === null) return false;
  if (head || answer.status === 204 || answer.status === 304) return true;
  if ((answer.headers['content-type'] ?? '').startsWith('text/event-stream')) return true;
  const length = answer.headers['content-length'];
  return length !== undefined && data.length - (end + 4) >= Number(length);
}

function parse(data: Buffer): RawAnswer {
  const end = headEnd(data);
  const headText = (end < 0 ? data : data.subarray(0, end)).toString('latin1');
  const [statusLine = '', ...lines] = headText.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = end < 0 ? Buffer.alloc(0) : data.subarray(end + 4);
  const length = headers['content-length'];
  if (length !== undefined && /^\d+$/.test(length)) body = body.subarray(0, Number(length));
  return { status: match ? Number(match[1]) : null, headers, body };
}
