// The tutorial's Python producer runs on a real Python with the real redis module (Debian's
// python3-redis, which .ci/run installs) and a stand-in hotqueue (test/python/hotqueue.py).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder that holds the stand-in hotqueue module, for PYTHONPATH. */
export const HOTQUEUE_STANDIN_DIR = join(dirname(fileURLToPath(import.meta.url)), 'python');

/**
 * A Python 3 that can `import redis`: $HOTQ_PYTHON, else `python3` on PATH, else Debian's own
 * /usr/bin/python3 (python3 on PATH may be a pyenv one that apt's python3-redis does not reach).
 * @throws when none can, saying how to get one.
 */
export function pythonWithRedis(): string {
  const candidates = [process.env.HOTQ_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const candidate of candidates) {
    if (spawnSync(candidate, ['-c', 'import redis'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  throw new Error(
    `no Python with the redis module among ${candidates.join(', ')}: ` +
      'install it (Debian/Ubuntu: apt-get install python3-redis, which .ci/run does; elsewhere: pip install redis) or set HOTQ_PYTHON',
  );
}
