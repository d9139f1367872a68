// Runs the built `hotq` bin, as declared in @hotq/api's package.json, in a real process: through pipes,
// or inside a pseudo-terminal made by util-linux `script`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const manifestPath = createRequire(import.meta.url).resolve('@hotq/api/package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin: Record<string, string> };
/** The `hotq` bin of the installed @hotq/api. */
export const HOTQ_BIN = join(dirname(manifestPath), manifest.bin.hotq ?? 'missing-bin');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to standard input, which is then closed. */
  input?: string;
  /** Run inside a pseudo-terminal (stdout is a TTY). */
  tty?: boolean;
  timeoutMs?: number;
}

const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/** A `hotq` process left running (stats --watch): its output so far, and its end. */
export interface Started {
  stdout(): string;
  kill(): void;
  exit: Promise<number | null>;
}

export function startHotq(args: string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [HOTQ_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { stdout: () => stdout, kill: () => child.kill('SIGTERM'), exit };
}

export function runHotq(args: string[], options: RunOptions = {}): Promise<Ran> {
  const env = { ...process.env };
  for (const name of ['HOTQ_URL', 'HOTQ_API_TOKEN']) delete env[name];
  Object.assign(env, options.env);
  const command = options.tty
    ? ['script', ['-q', '-e', '-c', [process.execPath, HOTQ_BIN, ...args].map(quote).join(' '), '/dev/null']] as const
    : [process.execPath, [HOTQ_BIN, ...args]] as const;
  const child = spawn(command[0], [...command[1]], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A pseudo-terminal's session ends when its input does: keep it open until the command exits.
  if (options.input !== undefined) child.stdin.end(options.input);
  else if (!options.tty) child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr });
    });
  });
}
