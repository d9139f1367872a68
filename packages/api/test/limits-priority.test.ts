// Priorities and limits over real HTTP: a submission's priority decides what a worker takes first,
// and the /limits routes set, show and remove limits that the queue applies at its next take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, snapshot, startApi, TestConsumer, type TestApi } from './helpers.js';

let api: TestApi;
beforeAll(async () => {
  api = await startApi({ apiToken: 'write-token', readToken: 'read-token' });
});
afterAll(async () => {
  await api.close();
});

const write = (method: string, path: string, body?: unknown) => call(api.base, method, path, { token: 'write-token', ...(body === undefined ? {} : { body }) });
const read = (path: string) => call(api.base, 'GET', path, { token: 'read-token' });

describe('priority over HTTP', () => {
  it('is taken from POST /jobs and batch items, shown on the job (0 by default), and decides what runs first', async () => {
    const own = await startApi();
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    try {
      const low = await call(own.base, 'POST', '/jobs', { body: { type: 'echo', params: { n: 'low' }, priority: -5 } });
      const plain = await call(own.base, 'POST', '/jobs', { body: { type: 'echo', params: { n: 'plain' } } });
      const batch = await call(own.base, 'POST', '/jobs/batch', { body: { jobs: [{ type: 'echo', params: { n: 'high' }, priority: 100 }] } });
      expect([low.status, plain.status, batch.status]).toEqual([201, 201, 201]);
      expect(low.body.priority).toBe(-5);
      expect(plain.body.priority).toBe(0);
      expect(batch.body.jobs[0].priority).toBe(100);
      expect((await call(own.base, 'GET', `/jobs/${low.body.id}`)).body.priority).toBe(-5);
      const order = [];
      for (let n = 0; n < 3; n += 1) order.push((await consumer.take())?.id);
      expect(order).toEqual([batch.body.jobs[0].id, plain.body.id, low.body.id]);
    } finally {
      await own.close();
    }
  });

  it('refuses a priority out of -100..100 or not an integer, naming the field, and writes nothing', async () => {
    const before = await snapshot(api.redis, api.keyBase);
    for (const priority of [101, -101, 1.5, '3', null]) {
      const answer = await write('POST', '/jobs', { type: 'echo', priority });
      expect(answer.status, JSON.stringify(priority)).toBe(400);
      expect(answer.body.error.message).toMatch(/^priority: must be an integer from -100 to 100/);
    }
    const batch = await write('POST', '/jobs/batch', { jobs: [{ type: 'echo' }, { type: 'echo', priority: 500 }] });
    expect(batch.status).toBe(400);
    expect(batch.body.error.message).toMatch(/^jobs\[1\]\.priority: must be an integer from -100 to 100/);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });
});

describe('the /limits routes', () => {
  it('set, list, show in /stats and remove limits of the queue, a type and a tag', async () => {
    expect((await read('/limits')).body).toEqual({ limits: [] });
    const queueLimit = await write('PUT', '/limits/queue', { concurrency: 4 });
    expect(queueLimit.status).toBe(200);
    expect(queueLimit.body).toEqual({ scope: 'queue', rate: null, concurrency: 4 });
    const typeLimit = await write('PUT', '/limits/type/render', { rate: { count: 50, perMs: 1000 } });
    expect(typeLimit.body).toEqual({ scope: 'type:render', rate: { count: 50, perMs: 1000 }, concurrency: null });
    const tagLimit = await write('PUT', '/limits/tag/customer:acme', { rate: { count: 5, perMs: 60000 }, concurrency: 1 });
    expect(tagLimit.body).toEqual({ scope: 'tag:customer:acme', rate: { count: 5, perMs: 60000 }, concurrency: 1 });

    const listed = (await read('/limits')).body.limits;
    expect(listed.map((limit: { scope: string }) => limit.scope)).toEqual(['queue', 'tag:customer:acme', 'type:render']);
    expect(listed[0]).toEqual({ scope: 'queue', rate: null, concurrency: 4, running: 0, recentStarts: 0 });
    expect((await read('/stats')).body.limits).toEqual(listed);

    // A PUT replaces the limit as a whole.
    expect((await write('PUT', '/limits/queue', { rate: { count: 10, perMs: 1000 } })).body).toEqual({ scope: 'queue', rate: { count: 10, perMs: 1000 }, concurrency: null });

    expect((await write('DELETE', '/limits/type/render')).body).toEqual({ scope: 'type:render', removed: true });
    expect((await write('DELETE', '/limits/type/render')).body).toEqual({ scope: 'type:render', removed: false });
    expect((await write('DELETE', '/limits/tag/customer:acme')).body).toEqual({ scope: 'tag:customer:acme', removed: true });
    expect((await write('DELETE', '/limits/queue')).body).toEqual({ scope: 'queue', removed: true });
    expect((await read('/limits')).body).toEqual({ limits: [] });
  });

  it('holds back what a limit covers: with a concurrency of 1 on a type, a second job of it is not taken while the first runs', async () => {
    const own = await startApi();
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    try {
      expect((await call(own.base, 'PUT', '/limits/type/render', { body: { concurrency: 1 } })).status).toBe(200);
      const first = await call(own.base, 'POST', '/jobs', { body: { type: 'render' } });
      const second = await call(own.base, 'POST', '/jobs', { body: { type: 'render' } });
      const other = await call(own.base, 'POST', '/jobs', { body: { type: 'echo' } });
      const taken = [(await consumer.take())?.id, (await consumer.take())?.id];
      expect(taken).toEqual([first.body.id, other.body.id]);
      const limits = (await call(own.base, 'GET', '/limits')).body.limits;
      expect(limits).toEqual([{ scope: 'type:render', rate: null, concurrency: 1, running: 1, recentStarts: 0 }]);
      expect((await call(own.base, 'GET', `/jobs/${second.body.id}`)).body.status).toBe('queued');
      // Without the limit, the second is taken at once.
      expect((await call(own.base, 'DELETE', '/limits/type/render')).body.removed).toBe(true);
      expect((await consumer.take())?.id).toBe(second.body.id);
    } finally {
      await own.close();
    }
  });

  it('holds back the jobs of a tag with a limit, and not the others', async () => {
    const own = await startApi();
    const consumer = new TestConsumer(own.redis, own.prefix, own.queue);
    try {
      expect((await call(own.base, 'PUT', '/limits/tag/customer:acme', { body: { concurrency: 1 } })).status).toBe(200);
      const first = await call(own.base, 'POST', '/jobs', { body: { type: 'render', tags: ['customer:acme', 'order:1'] } });
      const second = await call(own.base, 'POST', '/jobs', { body: { type: 'render', tags: ['customer:acme', 'order:2'] } });
      const other = await call(own.base, 'POST', '/jobs', { body: { type: 'render', tags: ['customer:zeta'] } });
      const taken = await consumer.take();
      expect([taken.id, (await consumer.take()).id]).toEqual([first.body.id, other.body.id]);
      expect((await call(own.base, 'GET', `/jobs/${second.body.id}`)).body.status).toBe('queued');
      // The first one's end gives the slot back.
      await consumer.succeed(taken, null);
      expect((await consumer.take()).id).toBe(second.body.id);
    } finally {
      await own.close();
    }
  });

  it('refuses bad limits with the field named, and writes nothing', async () => {
    const before = await snapshot(api.redis, api.keyBase);
    const cases: [string, unknown, RegExp][] = [
      ['/limits/queue', {}, /^body: give rate, concurrency or both/],
      ['/limits/queue', { concurrency: 0 }, /^concurrency: must be an integer from 1 to 100000/],
      ['/limits/queue', { rate: { count: 5, perMs: 0 } }, /^rate\.perMs: must be an integer from 1 to 86400000/],
      ['/limits/queue', { rate: { count: -1, perMs: 1000 } }, /^rate\.count: must be an integer from 1 to 100000/],
      ['/limits/queue', { rate: { count: 5 } }, /^rate\.perMs: must be an integer/],
      ['/limits/queue', { rate: 5 }, /^rate: must be a JSON object/],
      ['/limits/queue', { burst: 3 }, /unknown field\(s\): burst/],
      ['/limits/type/Not%20A%20Type', { concurrency: 1 }, /^path parameter type: must match/],
      ['/limits/tag/has%20space', { concurrency: 1 }, /^path parameter tag: must be 1 to 64 letters, digits/],
      [`/limits/tag/${'x'.repeat(65)}`, { concurrency: 1 }, /^path parameter tag: must be 1 to 64 letters, digits/],
    ];
    for (const [path, body, message] of cases) {
      const answer = await write('PUT', path, body);
      expect(answer.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(answer.body.error.message, `${path} ${JSON.stringify(body)}`).toMatch(message);
    }
    expect((await write('PUT', '/limits/queue')).status).toBe(400);
    expect(await snapshot(api.redis, api.keyBase)).toEqual(before);
  });

  it('needs the write token to set or remove a limit; the read token may list them', async () => {
    expect((await call(api.base, 'PUT', '/limits/queue', { token: 'read-token', body: { concurrency: 2 } })).status).toBe(403);
    expect((await call(api.base, 'DELETE', '/limits/queue', { token: 'read-token' })).status).toBe(403);
    expect((await call(api.base, 'PUT', '/limits/queue', { body: { concurrency: 2 } })).status).toBe(401);
    expect((await read('/limits')).status).toBe(200);
  });
});
