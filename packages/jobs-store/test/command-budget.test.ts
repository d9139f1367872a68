// The cost guard: how many Redis commands each step of a job runs (inside the functions, counted by
// the server's INFO commandstats on a server of this test's own), compared with the budget written
// in docs/architecture.md. A change that adds or saves a command fails here until the documented
// budget says so: a guard on cost that does not depend on timing.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';
import { TaskQueue } from '@hotq/queue-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsStore, type JobMessage } from '../src/index.js';

const BUDGET_DOC = new URL('../../../docs/architecture.md', import.meta.url);

/** The table between the command-budget markers: step -> commands. */
function documentedBudget(): Record<string, number> {
  const text = readFileSync(BUDGET_DOC, 'utf8');
  const table = /<!-- command-budget:begin -->([\s\S]*?)<!-- command-budget:end -->/.exec(text)?.[1];
  if (!table) throw new Error('docs/architecture.md has no command-budget table');
  const budget: Record<string, number> = {};
  for (const [, step, count] of table.matchAll(/^\| `([^`]+)` \| (\d+) \|/gm)) budget[step!] = Number(count);
  return budget;
}

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis.disconnect();
  await server.dispose();
});

/** Commands the server ran during `step`, besides the function call itself and this count's own. */
async function commandsOf(step: () => Promise<unknown>): Promise<number> {
  await redis.config('RESETSTAT');
  await step();
  const info = await redis.info('commandstats');
  let total = 0;
  for (const [, command, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (command === 'fcall' || command === 'info' || command === 'config|resetstat') continue;
    total += Number(calls);
  }
  return total;
}

describe('Redis commands per step of a job', () => {
  it('match the budget documented in docs/architecture.md', async () => {
    const store = new JobsStore({ redis, queue: 'budget' });
    const queue = new TaskQueue<JobMessage>({ redis, name: 'budget', hooks: store.queueHooks() });
    const submit = async (n: number) => {
      const prepared = Array.from({ length: n }, () => store.prepareSubmission({ type: 'echo', params: { text: 'x'.repeat(89) } }));
      return await queue.putMany(prepared.map((s) => ({ payload: s.payload, ...s.put })));
    };
    const measureSteps = async (): Promise<Record<string, number>> => {
      await submit(2); // loads the library the first time
      await queue.reserve({ count: 1 }).then(({ messages }) => queue.ack(messages[0]!, { vars: store.completion(null).vars }));
      await queue.reserve({ count: 1 }).then(({ messages }) => queue.nack(messages[0]!, { delayMs: 0, vars: store.failure({ message: 'x' }).vars }));
      await queue.reserve({ count: 1 }).then(({ messages }) => queue.ack(messages[0]!, { vars: store.completion(null).vars }));

      const measured: Record<string, number> = {};
      measured['put, 1 job'] = await commandsOf(() => submit(1));
      measured['put, 100 jobs'] = await commandsOf(() => submit(100));
      let taken = (await queue.reserve({ count: 1 })).messages;
      measured['reserve, 1 job'] = await commandsOf(async () => {
        taken = (await queue.reserve({ count: 1 })).messages;
      });
      measured['reserve with 1 ack, 1 job'] = await commandsOf(async () => {
        taken = (await queue.reserve({ count: 1, acks: [{ lease: taken[0]!, vars: store.completion({ ok: 1 }).vars }] })).messages;
      });
      measured['reserve with 32 acks, 32 jobs'] = await (async () => {
        let many = (await queue.reserve({ count: 32 })).messages;
        const count = await commandsOf(async () => {
          many = (await queue.reserve({ count: 32, acks: many.map((lease) => ({ lease, vars: store.completion(null).vars })) })).messages;
        });
        return count;
      })();
      measured['extend, 1 lease'] = await commandsOf(() => queue.extend([taken[0]!]));
      measured['ack, 1 job'] = await commandsOf(() => queue.ack(taken[0]!, { vars: store.completion({ ok: 1 }).vars }));
      taken = (await queue.reserve({ count: 1 })).messages;
      measured['nack, retry later'] = await commandsOf(() => queue.nack(taken[0]!, { delayMs: 60_000, vars: store.failure({ message: 'x' }).vars }));
      await queue.ack(taken[0]!, { vars: store.completion(null).vars }).catch(() => false);
      return measured;
    };
    // The scripts count each kind of step per minute too, and the first count of a kind in a minute
    // also sets that minute's expiry (one command more): the budget is the steady state, so every
    // kind is counted once before, and a measurement that a new minute began during is taken again.
    const minute = async () => Math.floor(Number((await redis.time())[0]) / 60);
    let measured: Record<string, number> = {};
    for (let tries = 0; tries < 3; tries += 1) {
      const began = await minute();
      measured = await measureSteps();
      if ((await minute()) === began) break;
    }
    console.log(`commands per step: ${JSON.stringify(measured)}`);
    expect(measured).toEqual(documentedBudget());
  });
});
