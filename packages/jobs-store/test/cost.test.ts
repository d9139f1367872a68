// What a job costs in Redis: memory of a finished job and commands the hooks add per step. The numbers
// are printed and recorded in docs/decisions/0004-job-records.md; the assertions keep them from
// growing unnoticed.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, Fixture, sleep } from './_support.js';

let redis: Redis;
beforeAll(() => {
  redis = connect();
});
afterAll(() => {
  redis.disconnect();
});

// 100 bytes of params JSON, as in the benchmark (docs/benchmarks.md).
const params = { text: 'x'.repeat(89) };

async function usage(key: string): Promise<number> {
  return Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
}

describe('cost per job', () => {
  it('memory of one finished job with a 100-byte payload', { timeout: 120_000 }, async () => {
    expect(JSON.stringify(params)).toHaveLength(100);
    const f = new Fixture(redis);
    const base = f.store.keyBase;
    // Enough entries that the indexes use their large (skiplist) encoding, as in production.
    const n = 300;
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const { id } = await f.submit({ type: 'echo', params });
      const token = await f.hooks.call('reserve', id, { token: `Zx9a_bQ1:${i}`, attempt: 1, consumer: 'host-1:12345:1' }).then(() => `Zx9a_bQ1:${i}`);
      await f.hooks.call('ack', id, { token, attempt: 1, vars: f.store.completion(params).vars });
      ids.push(id);
    }
    const id = ids[0]!;
    const record = await usage(`${base}:job:${id}`);
    const paramsKey = await usage(`${base}:payload:${id}`);
    const result = await usage(`${base}:result:${id}`);
    // A succeeded job has two index entries: its type index and the finished (retention) index.
    const indexes = (await usage(`${base}:type:echo`)) + (await usage(`${base}:finished`));
    const perJobIndexes = Math.round(indexes / n);
    const encoding = await redis.object('ENCODING', `${base}:job:${id}`);
    console.log(`finished job, 100-byte params, 100-byte result: record ${record} B (${encoding}), params ${paramsKey} B, result ${result} B, `
      + `keys ${record + paramsKey + result} B; index entries ${perJobIndexes} B per job (${n} jobs); total ${record + paramsKey + result + perJobIndexes} B`);
    expect(encoding).toBe('listpack');
    expect(record + paramsKey + result).toBeLessThan(700);
    expect(perJobIndexes).toBeLessThan(300);
  });

  it('Redis commands the hooks run per step', async () => {
    const f = new Fixture(redis, { retentionMs: 50 });
    const count: Record<string, number> = {};
    const prepared = f.store.prepareSubmission({ type: 'echo', params });
    count.put = (await f.hooks.call('put', prepared.id, { attempt: 0, vars: prepared.put.vars })).commands;
    count.reserve = (await f.hooks.call('reserve', prepared.id, { token: 't1', attempt: 1, consumer: 'w' })).commands;
    count.ack = (await f.hooks.call('ack', prepared.id, { token: 't1', attempt: 1, vars: f.store.completion(params).vars })).commands;
    // In a steady state every finish also ends the retention of about one older job.
    await sleep(60);
    const next = (await f.submit({ type: 'echo', params })).id;
    await f.start(next);
    count['ack, purging one expired job'] = (await f.hooks.call('ack', next, { token: 'tok1', attempt: 1, vars: f.store.completion(params).vars })).commands;
    const idem = f.store.prepareSubmission({ type: 'echo', params, idempotencyKey: 'k' });
    count['put with idempotency key'] = (await f.hooks.call('put', idem.id, { attempt: 0, vars: idem.put.vars })).commands;
    count['put refused by idempotency key'] = (await f.hooks.call('put', f.store.prepareSubmission({ type: 'echo', idempotencyKey: 'k' }).id,
      { attempt: 0, vars: f.store.prepareSubmission({ type: 'echo', idempotencyKey: 'k' }).put.vars })).commands;
    const r = (await f.submit()).id;
    await f.start(r);
    count['retry (nack)'] = (await f.hooks.call('retry', r, { token: 'tok2', attempt: 1, delayMs: 1_000, vars: f.store.failure({ message: 'x' }).vars })).commands;
    count.promote = (await f.hooks.call('promote', r)).commands;
    await f.hooks.call('reserve', r, { token: 'tr', attempt: 2, consumer: 'w' });
    count.dead = (await f.hooks.call('dead', r, { token: 'tr', attempt: 2, reason: 'x' })).commands;
    count.retryJob = (await f.hooks.call('retryJob', r)).commands;
    count.cancelJob = (await f.hooks.call('cancelJob', r)).commands;
    count['stale ack (refused)'] = (await f.hooks.call('ack', r, { token: 'nope', attempt: 1 })).commands;
    console.log(`commands per hook: ${JSON.stringify(count)}; happy path put+reserve+ack = ${count.put! + count.reserve! + count.ack!}`);
    expect(count.put! + count.reserve! + count.ack!).toBeLessThanOrEqual(18);
    // The queue's fence (the token in field T) refuses it before the hook: the hook runs nothing.
    expect(count['stale ack (refused)']).toBe(0);
  });
});
