// Property-based fuzz (fast-check) of the real hotq-api process with raw bytes on a TCP socket: what
// fetch refuses to send. Invalid UTF-8 and control bytes in the request line, the path and the
// headers (the Authorization header included), odd methods and HTTP versions, hand-made chunked
// framing (valid and broken), a Content-Length next to Transfer-Encoding, two Content-Lengths,
// bodies with invalid UTF-8. For every request: never a 5xx; every JSON error has the error shape and
// a code a client can cause; a rejection or a read writes nothing to Redis (see StateProbe); the
// process stays up. At the end it still serves and has logged nothing at error or fatal (the bin
// logs uncaught exceptions and unhandled rejections at error and keeps running, so a crash it
// survived would show there). Node's own HTTP parser answers what it cannot parse with a bare 400
// (or 431, 417): that is fine; only CONNECT may be dropped without an answer (no 'connect' listener).
// HOTQ_PROPERTY_RAW_RUNS (default 5000) and HOTQ_PROPERTY_SEED.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { startRedisServer, uniqueName, type RedisServer } from '@hotq/test-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badErrorBody, badUtf8, batch, FULL, latin1Printable, READ, REDIS_ARGS, SEED, seedJobs, StateProbe, submission } from './property-support.js';
import { rawRequest } from './raw-http.js';

const RUNS = Number(process.env.HOTQ_PROPERTY_RAW_RUNS ?? 5_000);
const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

interface RawCase {
  method: string;
  target: Buffer;
  version: string;
  auth: Buffer | null;
  headers: Buffer[];
  body: Buffer | null;
  framing: 'length' | 'chunked' | 'chunked-bad' | 'none' | 'length-and-chunked' | 'two-lengths';
  contentType: string;
}

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
/** Header-value bytes: anything but CR and LF (which would end the header). */
const headerBytes = fc.uint8Array({ maxLength: 40 }).map((array) => Buffer.from(array.filter((byte) => byte !== 0x0d && byte !== 0x0a)));
const highBytes = fc.uint8Array({ minLength: 1, maxLength: 8 }).map((array) => Buffer.from(array.map((byte) => byte | 0x80)));

/** Raw requests, well-formed most of the time (so that they reach the app), with bytes fetch would never send. */
const rawCase = (ids: () => readonly string[]): fc.Arbitrary<RawCase> => {
  const id = fc.nat().map((n) => bytes(ids()[n % ids().length]!));
  const segment = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('jobs', 'jobs', 'jobs', 'stats', 'workers', 'healthz', 'readyz', 'metrics', 'openapi.json', 'result', 'events', 'retry', '..', '%2e%2e', '%zz', '%', '%00', '%FF').map(bytes) },
    { weight: 6, arbitrary: id },
    { weight: 1, arbitrary: highBytes },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 6 }).map((array) => Buffer.from(array)) },
    { weight: 1, arbitrary: fc.tuple(id, fc.constantFrom('\u00ff', '\u00e9', ':', '{', '}', '/../', '\\', '%2F', '\u0080')).map(([known, tail]) => Buffer.concat([known, bytes(tail)])) },
  );
  const target = fc.oneof(
    { weight: 6, arbitrary: fc.constant(bytes('/jobs')) },
    { weight: 2, arbitrary: fc.constant(bytes('/jobs/batch')) },
    { weight: 2, arbitrary: fc.constantFrom('/jobs/retry', '/jobs/cancel', '/jobs/delete', '/queue/pause', '/queue/resume', '/jobs?tag=a&createdAfter=2026-01-01').map(bytes) },
    { weight: 4, arbitrary: fc.tuple(fc.constantFrom('/jobs/', '/jobs/', '/jobs/'), id, fc.constantFrom('', '', '/result', '/events', '/retry')).map(([head, known, tail]) => Buffer.concat([bytes(head), known, bytes(tail)])) },
    { weight: 6, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => Buffer.concat(parts.flatMap((part) => [bytes('/'), part]))) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'http://127.0.0.1/jobs', `/jobs?access_token=${FULL}`, '/jobs?limit=%FF', '/jobs?limit=\u00ff', '/jobs?status=\u00e9', '/jobs#frag', '', '/' + 'a'.repeat(20_000)).map(bytes) },
  );
  /** Header values: printable Latin-1 mostly (obs-text included), sometimes any byte but CR and LF. */
  const value = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: latin1Printable, maxLength: 40 }).map(bytes) }, { weight: 1, arbitrary: headerBytes });
  return fc.record({
    method: fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'POST', 'DELETE', 'HEAD') },
      { weight: 2, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'TRACE', 'get', 'FOO', 'PROPFIND', 'M-SEARCH', 'G\u00c9T') },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{1,8}$/) },
    ),
    target,
    version: fc.oneof({ weight: 12, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', 'HTTP/9.9', 'HTTP/1.10') }),
    auth: fc.oneof(
      { weight: 10, arbitrary: fc.constant(bytes(`Bearer ${FULL}`)) },
      { weight: 1, arbitrary: fc.constant(bytes(`Bearer ${READ}`)) },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(`Bearer ${FULL}`, `Bearer ${READ}`, 'Bearer ', ''), value).map(([prefix, tail]) => Buffer.concat([bytes(prefix), tail])) },
    ),
    headers: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as Buffer[]) },
      {
        weight: 2,
        arbitrary: fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.tuple(fc.constantFrom('X-Request-Id', 'Accept', 'Cookie', 'Content-Language', 'Last-Event-ID', 'Expect', 'Upgrade', 'Authorization', 'X-Api-Key', '__proto__', 'Content-Encoding', 'Transfer-Encoding'), value).map(([name, text]) => Buffer.concat([bytes(`${name}: `), text])) },
            { weight: 1, arbitrary: fc.tuple(headerBytes, value).map(([name, text]) => Buffer.concat([name, bytes(': '), text])) },
          ),
          { minLength: 1, maxLength: 3 },
        ),
      },
    ),
    body: fc.option(
      fc.oneof(
        { weight: 6, arbitrary: submission.map((text) => Buffer.from(text, 'utf8')) },
        { weight: 3, arbitrary: batch.map((text) => Buffer.from(text, 'utf8')) },
        { weight: 2, arbitrary: fc.tuple(badUtf8, highBytes).map(([a, b]) => Buffer.concat([bytes('{"type":"echo","params":{"s":"'), a, b, bytes('"}}')])) },
        { weight: 2, arbitrary: fc.tuple(fc.constantFrom('{"type":"', '{"type":"echo","params":{"', '{"'), badUtf8, fc.constantFrom('"}', '":1}}', '')).map(([a, b, c]) => Buffer.concat([bytes(a), b, bytes(c)])) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array)) },
      ),
      { freq: 3 },
    ),
    framing: fc.oneof({ weight: 8, arbitrary: fc.constant('length' as const) }, { weight: 3, arbitrary: fc.constant('chunked' as const) }, { weight: 1, arbitrary: fc.constantFrom('chunked-bad' as const, 'none' as const, 'length-and-chunked' as const, 'two-lengths' as const) }),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=\u00ff', 'application/json\u00e9'),
  });
};

/** Whether the bytes after the head form a second request (a body sent without any framing header). */
function pipelined(input: RawCase): boolean {
  return input.framing === 'none' && input.body !== null && input.body.length > 0;
}

function renderRaw(input: RawCase): Buffer {
  const lines: Buffer[] = [bytes(`${input.method} `), input.target, bytes(` ${input.version}\r\nHost: 127.0.0.1\r\nConnection: close\r\n`)];
  if (input.auth) lines.push(bytes('Authorization: '), input.auth, bytes('\r\n'));
  for (const header of input.headers) lines.push(header, bytes('\r\n'));
  const payload = input.body ?? Buffer.alloc(0);
  if (input.body) lines.push(bytes(`Content-Type: ${input.contentType}\r\n`));
  let encoded = payload;
  switch (input.framing) {
    case 'length':
      if (input.body) lines.push(bytes(`Content-Length: ${payload.length}\r\n`));
      break;
    case 'chunked':
    case 'chunked-bad': {
      lines.push(bytes('Transfer-Encoding: chunked\r\n'));
      const half = Math.floor(payload.length / 2);
      const chunks = [payload.subarray(0, half), payload.subarray(half)].filter((chunk) => chunk.length > 0);
      encoded = Buffer.concat([
        ...chunks.flatMap((chunk) => [bytes(`${input.framing === 'chunked-bad' ? 'zz' : chunk.length.toString(16)}\r\n`), chunk, bytes('\r\n')]),
        bytes('0\r\n\r\n'),
      ]);
      break;
    }
    case 'length-and-chunked':
      lines.push(bytes(`Content-Length: ${payload.length}\r\nTransfer-Encoding: chunked\r\n`));
      break;
    case 'two-lengths':
      lines.push(bytes(`Content-Length: ${payload.length}\r\nContent-Length: ${payload.length + 1}\r\n`));
      break;
    case 'none':
      break;
  }
  lines.push(bytes('\r\n'), encoded);
  return Buffer.concat(lines);
}

describe('property: raw bytes to the hotq-api process', () => {
  let child: ChildProcess;
  let port = 0;
  let stderr = '';
  const known: string[] = [];
  const seen = new Map<string, number>();
  let server: RedisServer;
  let probe: StateProbe;

  beforeAll(async () => {
    server = await startRedisServer({ args: REDIS_ARGS });
    probe = await StateProbe.start(server.url);
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the package first (turbo builds it before its tests)`);
    const queue = uniqueName('raw');
    const prefix = uniqueName('rp');
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('HOTQ_') && key !== 'REDIS_URL' && key !== 'PORT') env[key] = value;
    child = spawn(process.execPath, [BIN, '--port', '0', '--redis-url', server.url, '--queue', queue, '--prefix', prefix, '--log-level', 'warn'], {
      env: { ...env, HOTQ_API_TOKEN: FULL, HOTQ_API_READ_TOKEN: READ },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`hotq-api did not listen within 20 s: ${stderr}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`hotq-api exited with ${code}: ${stderr}`)));
    });
    port = Number(new URL(base).port);
    const connection = new Redis(server.url);
    try {
      known.push(...(await seedJobs(base, connection, prefix, queue)));
    } finally {
      connection.disconnect();
    }
    await probe.written(); // the seeding is not a request under test
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    probe?.close();
    await server?.dispose();
  });

  let pipelinedCases = 0;

  async function check(input: RawCase): Promise<void> {
    const request = renderRaw(input);
    const what = JSON.stringify(request.subarray(0, 400).toString('latin1'));
    let answer;
    try {
      answer = await rawRequest(port, request, { head: input.method === 'HEAD' });
    } catch (error) {
      throw new Error(`${what}: ${(error as Error).message}`);
    }
    const { status } = answer;
    const problems: string[] = [];
    const key = status === null ? 'closed' : String(status);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    // Only CONNECT may be dropped without an answer: Node's server hands it to a 'connect' listener, and there is none.
    if (status === null && input.method !== 'CONNECT') problems.push('closed without an answer');
    if (status !== null && status >= 500) problems.push(`answered ${status}: ${answer.body.subarray(0, 300).toString()}`);
    if (status !== null && status >= 400 && input.method !== 'HEAD' && (answer.headers['content-type'] ?? '').includes('json')) {
      const bad = badErrorBody(answer.body.toString('utf8'));
      if (bad) problems.push(bad);
    }
    const read = input.method === 'GET' || input.method === 'HEAD';
    if (pipelined(input)) {
      // A body without Content-Length or Transfer-Encoding is, to HTTP/1.1, a second request on the
      // connection. When it does not parse, Node answers it 400 at once and closes, while the first
      // request (complete, maybe valid) is still being served: the 400 is not that request's answer,
      // and what it writes lands after it. So the writes are waited for and not judged.
      pipelinedCases += 1;
      for (let quiet = 0, rounds = 0; quiet < 3 && rounds < 100; rounds += 1) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        quiet = (await probe.written()).length === 0 ? quiet + 1 : 0;
      }
    } else {
      const written = await probe.written();
      if ((status === null || status >= 400 || read) && written.length > 0) problems.push(`Redis changed: ${written.join('; ')}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) problems.push(`hotq-api exited (${child.exitCode ?? child.signalCode}); stderr: ${stderr.slice(-2_000)}`);
    if (problems.length > 0) throw new Error(`${what}\n  -> ${status}: ${problems.join('\n  ')}`);
  }

  it(`holds for ${RUNS} generated byte streams`, async () => {
    const started = Date.now();
    await fc.assert(fc.asyncProperty(rawCase(() => known), check), { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 200_000, markInterruptAsFailure: true });
    console.log(`raw fuzz: ${RUNS} requests in ${Date.now() - started} ms (seed ${SEED}); ${pipelinedCases} with a pipelined second request; answers: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    for (const status of ['200', '201', '400', '401', '404']) expect(seen.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
    // Still serving, and nothing logged at error or fatal (the bin logs unhandled rejections and
    // uncaught exceptions at error and keeps running, so a crash it survived still shows here).
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const errors = stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { level: number }).filter((line) => line.level >= 50);
    expect(errors).toEqual([]);
    expect(child.exitCode).toBeNull();
  }, 240_000);
});
