// Redis credentials and TLS pass through to every process and every connection it opens, and the
// password is never printed. Real hotq-api and hotq-worker processes on private redis-servers that
// require a password (`requirepass`), one of them over TLS only (`rediss://`, a test CA given to the
// processes with NODE_EXTRA_CA_CERTS; see fixtures/tls). A job goes all the way through, and an event
// stream follows it: the API's own connection, the store's reader and its subscriber, the worker's
// connection and its blocking duplicate all had to authenticate. With a wrong password both processes
// keep running, say that Redis is unavailable, and print neither password.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterEach, describe, expect, it } from 'vitest';
import { finished, run, startApi, startWorker, until, type Running } from './_bins.js';

const TLS = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls');
const running: Running[] = [];
const servers: RedisServer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((child) => child.stop()));
  await Promise.all(servers.splice(0).map((server) => server.dispose()));
});

async function passwordServer(password: string, extra: string[] = []): Promise<RedisServer> {
  const server = await startRedisServer({ args: ['--requirepass', password, ...extra] });
  servers.push(server);
  return server;
}

/** Submits a job through the API, follows it on an event stream, and waits for the worker to finish it. */
async function roundTrip(base: string, marker: string): Promise<void> {
  const created = await fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'echo', params: { marker }, delayMs: 300 }) });
  expect(created.status, await created.clone().text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const stream = await fetch(`${base}/jobs/${id}/events`);
  expect(stream.status).toBe(200);
  // The stream ends after the terminal status: read it to the end.
  const events = await stream.text();
  expect(events).toContain('"status":"succeeded"');
  expect(await finished(base, id)).toMatchObject({ status: 'succeeded' });
  expect(await (await fetch(`${base}/jobs/${id}/result`)).json()).toEqual({ marker });
}

describe('a Redis that requires a password', () => {
  it('is reached by the API and the worker with the password from REDIS_URL, which they never print', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const server = await passwordServer(password);
    const url = server.url.replace('redis://', `redis://:${password}@`);
    const { api, base } = await startApi(['--log-level', 'debug'], { REDIS_URL: url });
    running.push(api);
    const worker = await startWorker(['--log-level', 'debug'], { REDIS_URL: url });
    running.push(worker);
    await roundTrip(base, 'through-password');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    await Promise.all([api.stop(), worker.stop()]);
    for (const child of [api, worker]) expect(child.output()).not.toContain(password);
    expect(worker.stdout()).toContain(':***@');
  });

  it('works with a user name in the URL and as a flag (--redis-url) too', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const server = await passwordServer(password);
    const url = server.url.replace('redis://', `redis://default:${password}@`);
    const { api, base } = await startApi(['--redis-url', url, '--log-level', 'debug']);
    running.push(api);
    const worker = await startWorker(['--redis-url', url, '--log-level', 'debug']);
    running.push(worker);
    await roundTrip(base, 'through-user-and-password');
    await Promise.all([api.stop(), worker.stop()]);
    for (const child of [api, worker]) expect(child.output()).not.toContain(password);
  });

  it('refused with a wrong password: both keep running, report Redis unavailable, and print neither password', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const server = await passwordServer(password);
    const url = server.url.replace('redis://', `redis://:${wrong}@`);
    const { api, base } = await startApi(['--log-level', 'debug'], { REDIS_URL: url });
    running.push(api);
    const worker = run('@hotq/worker', ['--log-level', 'debug'], { REDIS_URL: url });
    running.push(worker);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const submitted = await fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"echo"}' });
    expect(submitted.status).toBe(503);
    // The worker says why, and waits for a Redis it can use rather than exiting.
    await until(() => /WRONGPASS|NOAUTH|unreachable|invalid username-password/i.test(worker.output()), 'the worker to report the refusal', worker);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(worker.child.exitCode).toBeNull();
    expect(api.child.exitCode).toBeNull();
    await Promise.all([api.stop(), worker.stop()]);
    for (const child of [api, worker]) {
      expect(child.output()).not.toContain(password);
      expect(child.output()).not.toContain(wrong);
    }
  });
});

describe('a Redis reached over TLS only (rediss://) that requires a password', () => {
  it('is reached by the API and the worker, every connection of theirs authenticated, the password never printed', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const tlsPort = await freePort();
    await passwordServer(password, [
      '--tls-port', String(tlsPort), '--tls-cert-file', join(TLS, 'server.crt'), '--tls-key-file', join(TLS, 'server.key'),
      '--tls-ca-cert-file', join(TLS, 'ca.crt'), '--tls-auth-clients', 'no',
    ]);
    // The plain port is for the harness's readiness probe only: the processes get the TLS port.
    const url = `rediss://:${password}@localhost:${tlsPort}/0`;
    const env = { REDIS_URL: url, NODE_EXTRA_CA_CERTS: join(TLS, 'ca.crt') };
    const { api, base } = await startApi(['--log-level', 'debug'], env);
    running.push(api);
    const worker = await startWorker(['--log-level', 'debug'], env);
    running.push(worker);
    await roundTrip(base, 'through-tls');
    // It really was TLS: the server counts the connections it accepted on its TLS port.
    const admin = new Redis(url, { tls: { ca: [readFileSync(join(TLS, 'ca.crt'))] } });
    try {
      const clients = String(await admin.client('LIST'));
      expect(clients).toMatch(/name=hotq-api/);
      expect(Number(/total_connections_received:(\d+)/.exec(await admin.info('stats'))?.[1])).toBeGreaterThan(4);
    } finally {
      admin.disconnect();
    }
    await Promise.all([api.stop(), worker.stop()]);
    for (const child of [api, worker]) expect(child.output()).not.toContain(password);
  });

  it('is refused when the processes do not trust its certificate: Redis unavailable, nothing printed of the password', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const tlsPort = await freePort();
    await passwordServer(password, [
      '--tls-port', String(tlsPort), '--tls-cert-file', join(TLS, 'server.crt'), '--tls-key-file', join(TLS, 'server.key'),
      '--tls-ca-cert-file', join(TLS, 'ca.crt'), '--tls-auth-clients', 'no',
    ]);
    const url = `rediss://:${password}@localhost:${tlsPort}/0`;
    const { api, base } = await startApi(['--log-level', 'debug'], { REDIS_URL: url });
    running.push(api);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect((await fetch(`${base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"echo"}' })).status).toBe(503);
    await api.stop();
    expect(api.output()).not.toContain(password);
  });
});
