// The JSON body of a plain request (application/json in UTF-8 with a Content-Length) is read by the
// app itself; any other goes to Express's JSON parser. The same bytes must get the same answer either
// way: each body below is sent once with a Content-Length and once chunked (which the parser reads),
// and the two answers compared.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type TestApi } from './helpers.js';
import { rawRequest, type RawAnswer } from './raw-http.js';

let api: TestApi;
let port: number;
beforeAll(async () => {
  api = await startApi({ bodyLimit: 1024 });
  port = Number(new URL(api.base).port);
});
afterAll(async () => {
  await api.close();
});

function request(body: Buffer, framing: 'length' | 'chunked', contentType = 'application/json'): Buffer {
  const head = `POST /jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${contentType}\r\n`;
  if (framing === 'length') return Buffer.concat([Buffer.from(`${head}Content-Length: ${body.length}\r\n\r\n`), body]);
  return Buffer.concat([Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
}

/** What must agree between the two readings: the status, and the error or the params the job kept. */
function outcome(answer: RawAnswer): unknown {
  const body = JSON.parse(answer.body.toString('utf8')) as { params?: unknown; error?: { code: string; message: string } };
  return { status: answer.status, ...(body.error ? { error: body.error } : { params: body.params }) };
}

const BODIES: Array<[string, Buffer]> = [
  ['a plain submission', Buffer.from('{"type":"echo","params":{"text":"hi"}}')],
  ['non-ASCII text', Buffer.from('{"type":"echo","params":{"text":"żółć ✓ 𝄞"}}')],
  ['a byte-order mark first', Buffer.from('\ufeff{"type":"echo","params":{"bom":true}}')],
  ['whitespace around', Buffer.from('  \n{"type":"echo"}\t\n ')],
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"type":"echo","params":{"t":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}}')])],
  ['malformed JSON', Buffer.from('{"type":"echo",}')],
  ['only whitespace', Buffer.from('   ')],
  ['a JSON array', Buffer.from('[1,2]')],
  ['a JSON string', Buffer.from('"echo"')],
  ['a number past double range', Buffer.from('{"type":"echo","params":{"n":1e999}}')],
];

describe('reading a JSON body', () => {
  it.each(BODIES)('%s: the same answer read directly and by the fallback parser', async (_label, body) => {
    const direct = await rawRequest(port, request(body, 'length'));
    const parsed = await rawRequest(port, request(body, 'chunked'));
    expect(direct.status).not.toBeNull();
    expect(direct.status).toBeLessThan(500);
    expect(outcome(direct)).toEqual(outcome(parsed));
  });

  it('reads charset=utf-8 directly and other charsets and encodings by the parser, over the limit 413 either way', async () => {
    const body = Buffer.from('{"type":"echo","params":{"text":"hi"}}');
    expect((await rawRequest(port, request(body, 'length', 'application/json; charset=UTF-8'))).status).toBe(201);
    expect((await rawRequest(port, request(body, 'length', 'application/json; charset=latin1'))).status).toBe(415);
    const big = Buffer.from(`{"type":"echo","params":{"text":"${'x'.repeat(2_000)}"}}`);
    for (const framing of ['length', 'chunked'] as const) {
      const answer = await rawRequest(port, request(big, framing));
      expect(outcome(answer)).toMatchObject({ status: 413, error: { code: 'payload_too_large' } });
    }
  });

  it('a client that leaves before its body is sent leaves the app serving', async () => {
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write('POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = await rawRequest(port, request(Buffer.from('{"type":"echo"}'), 'length'));
    expect(after.status).toBe(201);
  });
});
