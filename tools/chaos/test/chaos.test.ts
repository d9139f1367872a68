import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const main = resolve(dirname(fileURLToPath(import.meta.url)), '../dist/main.js');

describe('chaos (short form)', () => {
  it('ends every job exactly once through worker kills and a Redis restart', () => {
    const run = spawnSync(process.execPath, [main, '--short'], { encoding: 'utf8', timeout: 110_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toMatch(/chaos over: \d+ SIGKILLs/);
    expect(output).toMatch(/submitted 300 = succeeded \d+ \+ failed \d+ \+ cancelled \d+ \(300\)/);
    expect(run.status, output).toBe(0);
  });
});
