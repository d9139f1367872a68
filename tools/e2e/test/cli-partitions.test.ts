// The `hotq` command against a partitioned queue: one queue to the person using it, each partition
// on request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHotq } from './run-hotq.js';
import { startSystem, type System } from './system.js';

let system: System;
let env: Record<string, string>;
const hotq = (args: string[]) => runHotq(args, { env });
const json = (text: string): any => JSON.parse(text); // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  system = await startSystem({ partitions: 3 });
  env = { HOTQ_URL: system.url };
});
afterAll(async () => {
  await system?.close();
});

describe('hotq on a partitioned queue', () => {
  it('submits with --partition-key, and shows the queue as one, each partition with --partitions', async () => {
    for (let n = 0; n < 6; n += 1) {
      const ran = await hotq(['submit', 'echo', '--params', `{"n":${n}}`, '--partition-key', 'customer-7', '--wait', '--json']);
      expect(ran.code).toBe(0);
      expect(json(ran.stdout).job).toMatchObject({ status: 'succeeded' });
    }
    const whole = json((await hotq(['stats', '--json'])).stdout);
    expect(whole).toMatchObject({ partitionCount: 3, counts: { succeeded: 6 } });
    expect(whole.partitions).toBeUndefined();

    const split = json((await hotq(['stats', '--partitions', '--json'])).stdout);
    expect(split.partitions.map((p: { partition: number }) => p.partition)).toEqual([0, 1, 2]);
    // One key, one partition: all six there.
    expect(split.partitions.map((p: { counts: { succeeded: number } }) => p.counts.succeeded).sort()).toEqual([0, 0, 6]);

    const plain = (await hotq(['stats', '--partitions'])).stdout.split('\n');
    expect(plain).toContain('partitions 3');
    expect(plain.filter((line) => /^partition\.\d\.counts\.succeeded \d+$/.test(line))).toHaveLength(3);

    const bad = await hotq(['submit', 'echo', '--partition-key', 'x'.repeat(200)]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('partitionKey: must be a string of 1 to 128 printable ASCII characters');
  });
});
