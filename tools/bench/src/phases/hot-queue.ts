import { HotQueue } from '@hotq/queue-core';
import type { Redis } from 'ioredis';
import { DB } from '../bench-redis.js';
import type { Results } from '../results.js';
import { errorMessage, type RunContext } from '../run-context.js';
import { figure, perSecond } from '../stats.js';
import { PAYLOAD } from '../systems/system.js';

/** Elapsed ms of one put run and one get run of `count` items. */
export interface ListRun {
  readonly putMs: number;
  readonly getMs: number;
}

/**
 * HotQueue: `count` awaited `put(item)` (one RPUSH each), then `count` awaited blocking
 * `get({ block: true })` (BLPOP on its own connection), JSON items.
 */
export async function runHotQueue(connect: () => Redis, count: number): Promise<ListRun> {
  const redis = connect();
  const queue = new HotQueue('bench', { redis });
  try {
    await redis.ping();
    let started = performance.now();
    for (let index = 0; index < count; index += 1) await queue.put(PAYLOAD);
    const putMs = performance.now() - started;
    started = performance.now();
    for (let index = 0; index < count; index += 1) {
      if ((await queue.get({ block: true, timeout: 5 })) === null) throw new Error(`HotQueue get ${index} found the queue empty`);
    }
    return { putMs, getMs: performance.now() - started };
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

/**
 * The bare list with no guarantees: `count` awaited LPUSH of the JSON text, then `count` awaited
 * BLPOP (on a second connection, as HotQueue blocks on one of its own) with JSON.parse of each.
 */
export async function runBareList(connect: () => Redis, count: number): Promise<ListRun> {
  const redis = connect();
  const blocking = connect();
  const key = 'bare:bench';
  try {
    await Promise.all([redis.ping(), blocking.ping()]);
    let started = performance.now();
    for (let index = 0; index < count; index += 1) await redis.lpush(key, JSON.stringify(PAYLOAD));
    const putMs = performance.now() - started;
    started = performance.now();
    for (let index = 0; index < count; index += 1) {
      const reply = await blocking.blpop(key, 5);
      if (reply === null) throw new Error(`BLPOP ${index} found the list empty`);
      JSON.parse(reply[1]);
    }
    return { putMs, getMs: performance.now() - started };
  } finally {
    redis.disconnect();
    blocking.disconnect();
  }
}

/** HotQueue against the bare list, alternating within each round; the server flushed before each run. */
export async function hotQueueVsBareList(ctx: RunContext): Promise<Results['hotqueue']> {
  const { plan, redis } = ctx;
  const connect = (): Redis => redis.connect(DB.hotqueue);
  const out: Results['hotqueue'] = {};
  try {
    await runHotQueue(connect, 1_000); // warm-up, untimed
    await runBareList(connect, 1_000);
    const hq: ListRun[] = [];
    const bare: ListRun[] = [];
    for (let round = 1; round <= plan.rounds; round += 1) {
      await redis.flush();
      const ours = await runHotQueue(connect, plan.listItems);
      await redis.flush();
      const theirs = await runBareList(connect, plan.listItems);
      hq.push(ours);
      bare.push(theirs);
      const rate = (ms: number): string => perSecond(plan.listItems, ms).toFixed(0);
      ctx.log(`hotqueue                   round ${round}  put ${rate(ours.putMs)} vs bare ${rate(theirs.putMs)}/s, get ${rate(ours.getMs)} vs bare ${rate(theirs.getMs)}/s`);
    }
    for (const op of ['put', 'get'] as const) {
      const field = op === 'put' ? 'putMs' : 'getMs';
      const ours = figure('ops/s', hq.map((run) => perSecond(plan.listItems, run[field])));
      const theirs = figure('ops/s', bare.map((run) => perSecond(plan.listItems, run[field])));
      out[op] = { hotqueue: ours, bare: theirs, ratio: Math.round((ours.median / theirs.median) * 100) / 100 };
    }
  } catch (error) {
    ctx.fail({ phase: 'hotqueue vs bare list', reason: errorMessage(error) });
  }
  return out;
}
