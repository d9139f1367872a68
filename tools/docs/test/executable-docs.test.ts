// The README and the tutorial, run as written: every shell block and every transcript, in a fresh
// clone, against a private throwaway redis-server, each with a time bound and nothing it started
// left running. Transcripts must print what the docs say they print. See docs/decisions/0011.
import { freePort, startRedisServer, type RedisServer } from '@hotq/test-harness';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docBlocks, outputMatches, transcriptSteps, type DocBlock } from '../src/doc-blocks.js';
import { findRepoRoot } from '../src/paths.js';
import { Shell } from './_doc-session.js';
import { HOTQUEUE_STANDIN_DIR, pythonWithRedis } from './python.js';

const root = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
const PAGES = ['README.md', 'docs/tutorial.md'];
// The blocks not run here, and why; a new one must be added here too, so it gets reviewed.
// What the docs may leave out of this test, each for the reason its docs-test comment gives. The
// separate API and worker processes of the tutorial's part 5 sometimes never get their Ctrl-C here
// (the two presses reach other commands of the transcript); their bins are tested in their packages.
const NOT_RUN = ['docker compose', 'pip install', 'npm test', 'packages/api/dist/bin.js --queue shouting'];
// A script may build (npm run build, the API reports): turbo replays cached builds, but not always.
const SCRIPT_MS = 180_000;
const BLOCK_MS = 60_000;
const SERVE_READY_MS = 180_000;
const CTRL_C_MS = 5_000;
const SETTLE_MS = 3_000;
// Ports the docs name, replaced by free ones: the machine is shared, and 3000 may be taken.
const DOC_PORTS = ['3000', '3001', '6390'];
const ULID = /\b[0-9A-HJKMNP-TV-Z]{26}\b/g;

let folder: string;
let clone: string;
let env: NodeJS.ProcessEnv;
let ports: Map<string, string>;

/**
 * `git stash create` in the checkout, tried again for a while when it fails: other test runs use git
 * in the same checkout at the same time (tools/packaging clones it), and a command that holds the
 * index lock makes this one fail at once.
 */
function stashCreate(): string {
  for (let tries = 1; ; tries += 1) {
    try {
      return execFileSync('git', ['stash', 'create'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (error) {
      if (tries >= 20) throw error;
      execFileSync('sleep', ['0.5']);
    }
  }
}

/** The clone: HEAD, plus uncommitted changes to tracked files when there are any (git stash create). */
function makeClone(): void {
  folder = mkdtempSync(join(tmpdir(), 'hotq-docs-'));
  clone = join(folder, 'hotq');
  execFileSync('git', ['clone', '--quiet', root, clone]);
  const work = stashCreate();
  if (work) {
    execFileSync('git', ['fetch', '--quiet', root, work], { cwd: clone });
    execFileSync('git', ['checkout', '--quiet', work], { cwd: clone });
  }
  // `npm ci` would take ~40 s to rebuild exactly this from the same package-lock.json (.ci/run has
  // just run it, and tools/start's clean-clone test runs it in a clone): hard links instead.
  for (const modules of ['node_modules', ...['packages', 'tools'].flatMap((dir) => workspaceModules(dir))]) {
    execFileSync('cp', ['-al', join(root, modules), join(clone, modules)]);
  }
}

function workspaceModules(dir: string): string[] {
  return execFileSync('ls', [join(root, dir)], { encoding: 'utf8' }).split('\n').filter(Boolean)
    .map((name) => `${dir}/${name}/node_modules`).filter((path) => existsSync(join(root, path)));
}

/** The environment of every block: a reader's, with REDIS_URL, the ports and Python set up. */
async function makeEnv(redis: RedisServer): Promise<NodeJS.ProcessEnv> {
  ports = new Map();
  for (const port of DOC_PORTS) ports.set(port, String(await freePort()));
  const bin = join(folder, 'bin');
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin);
  // `python3` in the docs: a Python with the redis module (Debian's may not be first on PATH).
  const python = pythonWithRedis();
  const pythonPath = isAbsolute(python) ? python : execFileSync('bash', ['-c', `command -v ${python}`], { encoding: 'utf8' }).trim();
  symlinkSync(realpathSync(pythonPath), join(bin, 'python3'));
  const commonDir = resolve(root, execFileSync('git', ['rev-parse', '--git-common-dir'], { cwd: root, encoding: 'utf8' }).trim());
  return {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    PYTHONPATH: HOTQUEUE_STANDIN_DIR, // hotqueue cannot be installed here: see test/python/hotqueue.py
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in the checkout
    REDIS_URL: redis.url,
    PORT: ports.get('3000'),
    // Turbo's own cache of this checkout: `npm run build` in the clone replays identical builds.
    TURBO_CACHE_DIR: join(dirname(commonDir), '.turbo', 'cache'),
    HOTQ_PREFIX: undefined,
    HOTQ_QUEUE: undefined,
    CI: undefined,
  };
}

/** The docs' fixed ports replaced by this run's free ones. */
function withPorts(text: string): string {
  return text.replace(/(?<=:|--port |PORT=)(3000|3001|6390)\b/g, (port) => ports.get(port) ?? port);
}

beforeAll(() => {
  makeClone();
}, 120_000);

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

describe.each(PAGES)('%s, run as written', (page) => {
  const blocks = docBlocks(readFileSync(join(root, page), 'utf8'));
  let redis: RedisServer;
  let lastId: string | undefined;
  const serving: { block: DocBlock; shell: Shell }[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    env = await makeEnv(redis);
  });

  afterAll(async () => {
    for (const { shell } of serving.splice(0)) shell.kill();
    await redis.dispose();
  });

  /** Ctrl-C to the servers of sections that have ended; each must stop within the bound. */
  async function stopServers(heading: string | undefined): Promise<void> {
    for (const entry of serving.filter((s) => s.block.heading !== heading)) {
      serving.splice(serving.indexOf(entry), 1);
      entry.shell.interrupt();
      const stopped = await entry.shell.end(15_000);
      entry.shell.kill();
      expect(stopped, `line ${entry.block.line}: still running 15 s after Ctrl-C:\n${entry.shell.output}`).toBe(true);
    }
  }

  function note(output: string): void {
    lastId = [...output.matchAll(ULID)].at(-1)?.[0] ?? lastId;
  }

  it('names the blocks it does not run, each with a reason', () => {
    const skipped = blocks.filter((block) => block.skip);
    for (const block of skipped) console.log(`${page}:${block.line} not run: ${block.skip}`);
    for (const block of skipped) expect(NOT_RUN.some((what) => block.body.includes(what)), `${page}:${block.line} is not run; add it to NOT_RUN if it must not be`).toBe(true);
    expect(blocks.filter((block) => !block.skip).length).toBeGreaterThan(0);
  });

  for (const block of blocks.filter((b) => !b.skip)) {
    it(`line ${block.line} (${block.heading}): ${block.body.split('\n')[0]}`, { timeout: SERVE_READY_MS + SCRIPT_MS }, async () => {
      await stopServers(block.heading);
      if (block.kind === 'script') await runScript(block);
      else await runTranscript(block);
    });
  }

  it('stops what the last section served', async () => {
    await stopServers(undefined);
  }, 30_000);

  async function runScript(block: DocBlock): Promise<void> {
    // `npm ci`: see makeClone. Every other line runs as written.
    const script = withPorts(block.body).replace(/^npm ci\b.*$/m, 'true');
    const shell = new Shell(`set -eo pipefail\n${script}`, clone, env);
    if (block.serveUntil !== undefined) {
      const text = block.serveUntil;
      // It may run in the foreground (npm start) or in the background of a shell that has ended (`&`).
      const ready = await shell.until((output) => output.includes(text), SERVE_READY_MS, true);
      serving.push({ block, shell });
      expect(ready && shell.holding, `line ${block.line}: no "${text}" from a running process:\n${shell.output}`).toBe(true);
      return;
    }
    const ended = await shell.end(SCRIPT_MS);
    shell.kill(); // whatever it left in the background
    expect(ended, `line ${block.line}: still running after ${SCRIPT_MS} ms:\n${shell.output}`).toBe(true);
    expect(await shell.exited, `line ${block.line} failed:\n${shell.output}`).toBe(0);
    note(shell.output);
  }

  async function runTranscript(block: DocBlock): Promise<void> {
    const started: { command: string; expected: string[]; shell: Shell }[] = [];
    try {
      for (const step of transcriptSteps(block.body)) {
        // `<id>`: the reader pastes the id of the job the commands before printed.
        const command = withPorts(step.command).replace(/<id>/g, () => lastId ?? '<id>');
        const expected = step.expected.map(withPorts);
        const shell = new Shell(command, clone, env);
        started.push({ command, expected, shell });
        await shell.until((output) => outputMatches(expected, output), BLOCK_MS);
        // Then it gets a few seconds to end; one that still runs (a server, a consumer) is a
        // long-running one, and goes on beside the next commands, as in another terminal. A ^C
        // waits for that too: a reader presses it once the prompt is back, and a command that has
        // printed all it prints may not have exited yet (the ^C would end it, not the server).
        await shell.end(SETTLE_MS);
        note(shell.output);
        for (let press = 0; press < step.ctrlC; press += 1) {
          // Ctrl-C goes to the terminal of the last command still running.
          const target = [...started].reverse().find((run) => run.shell.running);
          expect(target, `^C after \`${command}\`, but nothing runs any more:\n${shell.output}`).toBeDefined();
          target?.shell.interrupt();
          expect(await target?.shell.end(CTRL_C_MS), `\`${target?.command}\` still running ${CTRL_C_MS} ms after Ctrl-C`).toBe(true);
        }
      }
      for (const { command, expected, shell } of started) {
        expect(await shell.end(BLOCK_MS), `\`${command}\` never ended (end it in the docs, with ^C or otherwise):\n${shell.output}`).toBe(true);
        expect(shell.output, `\`${command}\` printed what the docs do not say:\n${expected.join('\n')}\n---- but printed ----\n${shell.output}`).toSatisfy((output: string) => outputMatches(expected, output));
      }
    } finally {
      for (const { shell } of started) shell.kill();
    }
  }
});
