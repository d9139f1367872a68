// A cancellation answered 202 ("asked to stop": the job was running) must not be lost when the
// worker that runs the job lets go of it before its next heartbeat has seen the request: it hands
// the job back on shutdown (SIGTERM: `release`), or the handler fails on its own (`nack` with a
// retry). queue-core already ends such a job as cancelled when its lease runs out (reserve.lua, "asked
// to stop and its consumer vanished"); release.lua and nack.lua instead drop the request (SREM of the
// cancel set) and queue the job again, so it runs again from the start and may succeed.
// Real processes: hotq-api and hotq-worker on a private redis-server. The lease is the default 30 s,
// so the heartbeat (every 10 s) cannot see the request first.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApi, startWorker, stopProcess, type ApiProcess } from '../src/processes.js';

const HANDLERS = resolve(dirname(fileURLToPath(import.meta.url)), 'fixtures/cancel-handlers.mjs');
const TERMINAL = ['succeeded', 'failed', 'cancelled'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RedisServer;
let api: ApiProcess;
const children: Array<ReturnType<typeof startWorker>> = [];

beforeEach(async () => {
  server = await startRedisServer();
  api = await startApi(server.url, 'cancels', { capture: true });
});
afterEach(async () => {
  await Promise.all([...children.splice(0).map((child) => stopProcess(child, 'SIGKILL')), stopProcess(api.child, 'SIGTERM')]);
  await server.dispose();
});

const worker = async (graceMs = 200) => {
  const child = startWorker(server.url, 'cancels', HANDLERS, { capture: true, logLevel: 'info', leaseMs: 30_000, graceMs });
  children.push(child);
  for (let i = 0; !child.output().includes('worker started'); i += 1) {
    if (i > 600) throw new Error(`the worker did not start: ${child.output()}`);
    await sleep(50);
  }
  return child;
};
const job = async (id: string) => (await (await fetch(`${api.base}/jobs/${id}`)).json()) as { status: string; attempts: number };
const submit = async (body: Record<string, unknown>) =>
  ((await (await fetch(`${api.base}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string }).id;
const until = async (id: string, statuses: string[], ms = 20_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const current = await job(id);
    if (statuses.includes(current.status) || Date.now() > end) return current;
    await sleep(50);
  }
};

describe('a cancellation answered 202', () => {
  it('ends the job cancelled when its worker shuts down before seeing it (release)', async () => {
    const first = await worker();
    const id = await submit({ type: 'nap', params: { ms: 4_000 } });
    await until(id, ['running']);
    expect((await fetch(`${api.base}/jobs/${id}`, { method: 'DELETE' })).status).toBe(202);
    await stopProcess(first, 'SIGTERM');
    await worker();
    expect(await until(id, TERMINAL)).toMatchObject({ status: 'cancelled' });
  });

  it('ends the job cancelled when its handler fails before the worker sees it (nack), instead of retrying it', async () => {
    await worker();
    const id = await submit({ type: 'nap-then-fail', params: { ms: 1_500 }, maxAttempts: 3 });
    await until(id, ['running']);
    expect((await fetch(`${api.base}/jobs/${id}`, { method: 'DELETE' })).status).toBe(202);
    expect(await until(id, TERMINAL)).toMatchObject({ status: 'cancelled', attempts: 1 });
  });
});
