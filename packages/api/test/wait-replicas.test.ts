// The durability option over real HTTP: with waitReplicas, a submission is acknowledged only once
// the replicas have it; when they do not confirm in time the answer is 503 not_replicated, and the
// same idempotencyKey again answers with the job once they do.
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/index.js';
import { call, connect, startApi, type TestApi } from './helpers.js';

let master: RedisServer;
let replica: RedisServer;
let api: TestApi;
beforeAll(async () => {
  master = await startRedisServer();
  replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const probe = new Redis(master.url);
  try {
    for (let tries = 0; !/slave0:.*state=online/.test(await probe.info('replication')); tries += 1) {
      if (tries > 200) throw new Error('the replica never came in sync');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    probe.disconnect();
  }
  api = await startApi({ url: master.url, waitReplicas: 1, waitReplicasTimeoutMs: 200 });
}, 30_000);
afterAll(async () => {
  await api?.close();
  await replica?.dispose();
  await master?.dispose();
});

describe('a submission with waitReplicas', () => {
  it('is acknowledged once the replica has it: the job is readable on the replica when the answer arrives', async () => {
    const answer = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', params: { n: 1 } } });
    expect(answer.status).toBe(201);
    const batch = await call(api.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo' }, { type: 'echo' }] } });
    expect(batch.status).toBe(201);
    const onReplica = new Redis(replica.url);
    try {
      for (const id of [answer.body.id, ...batch.body.jobs.map((job: { id: string }) => job.id)]) {
        expect(await onReplica.exists(`${api.keyBase}:job:${id}`)).toBe(1);
      }
    } finally {
      onReplica.disconnect();
    }
  });

  it('answers 503 not_replicated when the replica does not confirm in time, and the same idempotencyKey 200 once it does', async () => {
    await replica.stop();
    try {
      const answer = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', idempotencyKey: 'durable-1' } });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body.error).toMatchObject({ code: 'not_replicated', details: { acknowledged: 0, wanted: 1 } });
      expect(answer.body.error.message).toMatch(/0 of the 1 replica waited for confirmed the put within 200 ms.*submit again with the same idempotencyKey/);
      const [id] = answer.body.error.details.ids as string[];
      // Written on the master all the same: it may run, and a resubmission finds it.
      expect((await call(api.base, 'GET', `/jobs/${id}`)).body).toMatchObject({ id, status: 'queued' });
      const batch = await call(api.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo' }] } });
      expect(batch.status).toBe(503);
      expect(batch.body.error.code).toBe('not_replicated');
    } finally {
      await replica.start();
    }
    // Back in sync, the resubmission is acknowledged with the first job.
    let again;
    for (let tries = 0; tries < 100; tries += 1) {
      again = await call(api.base, 'POST', '/jobs', { body: { type: 'echo', idempotencyKey: 'durable-1' } });
      if (again.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(again?.status).toBe(200);
  }, 30_000);

  it('refuses bad waitReplicas options when the app is made', async () => {
    const redis = await connect(master.url);
    try {
      expect(() => createApp({ redis, waitReplicas: -1 })).toThrow(/waitReplicas must be an integer from 0 to 100/);
      expect(() => createApp({ redis, waitReplicas: 1, waitReplicasTimeoutMs: 5_000 })).toThrow(/waitReplicasTimeoutMs \(5000\) must be less than commandTimeoutMs \(5000\)/);
    } finally {
      redis.disconnect();
    }
  });
});
