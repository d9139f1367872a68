import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('chaos (short form)', () => {
  it('ends every job exactly once through worker kills, an API kill, a Redis restart and a Redis kill', () => {
    const run = spawnSync(process.execPath, [main, '--short'], { encoding: 'utf8', timeout: 110_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toMatch(/chaos over: \d+ worker SIGKILLs, \d+ worker SIGTERMs, 1 Redis restart\(s\), 1 API SIGKILL\(s\), 1 Redis SIGKILL\(s\)/);
    expect(output).toMatch(/terminal commits per job: 1: 300$/m);
    expect(output).toMatch(/submitted 300 = succeeded \d+ \+ failed \d+ \+ cancelled \d+ \+ deleted once over \d+ \(300\)/);
    expect(run.status, output).toBe(0);
  });

  it('does the same on a queue of six partitions on a three-master Redis Cluster, a master restarted and another killed', () => {
    const run = spawnSync(process.execPath, [main, '--short', '--cluster', '--partitions', '6'], { encoding: 'utf8', timeout: 110_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toMatch(/a Redis Cluster of three masters .*the queue in 6 partitions/);
    expect(output).toMatch(/chaos over: \d+ worker SIGKILLs, \d+ worker SIGTERMs, 1 Redis restart\(s\), 1 API SIGKILL\(s\), 1 Redis SIGKILL\(s\)/);
    expect(output).toMatch(/append-only file: \d+ commands in \d+ file\(s\); terminal commits per job: 1: 300$/m);
    expect(output).toMatch(/submitted 300 = succeeded \d+ \+ failed \d+ \+ cancelled \d+ \+ deleted once over \d+ \(300\)/);
    expect(run.status, output).toBe(0);
  });
});
