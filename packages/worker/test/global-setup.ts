// Builds this package (the tests run `node dist/bin.js` in child processes, and handler threads load
// dist/_thread-entry.js), then starts one throwaway redis-server for the run (or uses REDIS_URL).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setup as redisSetup } from '@hotq/test-harness';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** Whether dist is older than any source file (or missing). */
function stale(): boolean {
  const built = join(packageDir, 'dist', 'bin.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const sources = ['tsconfig.json', 'tsconfig.build.json', 'package.json', ...readdirSync(join(packageDir, 'src'), { recursive: true, encoding: 'utf8' }).map((file) => join('src', file))];
  return sources.some((file) => statSync(join(packageDir, file)).mtimeMs > builtAt);
}

export async function setup(project: Parameters<typeof redisSetup>[0]): Promise<() => Promise<void>> {
  if (stale()) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: packageDir, stdio: 'inherit' });
  }
  return await redisSetup(project);
}
