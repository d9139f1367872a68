import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** Options for a private redis-server. */
export interface RedisServerOptions {
  /** Port to listen on; a free one when absent. */
  port?: number;
  /** Turn on the append-only file (persistence across restarts). */
  appendonly?: boolean;
  /** Data directory to use (and keep); a temporary one, removed by dispose(), when absent. */
  dir?: string;
  /** Extra `--name value` arguments, e.g. `['--maxmemory-policy', 'allkeys-lru']`. */
  args?: string[];
  /** A configuration file the server reads first (`redis-server <file> ...`); a sentinel needs one it can rewrite. */
  configFile?: string;
}

/** A redis-server child process owned by a test. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SHUTDOWN NOSAVE semantics: SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL): what a crashed host looks like to its clients and replicas. */
  kill(): Promise<void>;
  /** Sends `signal` to the running server, e.g. SIGSTOP and SIGCONT to make it fall behind for a while. */
  signal(signal: NodeJS.Signals): void;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it for good and removes its data directory. */
  dispose(): Promise<void>;
}

/** Whether a Redis server answers PING on host:port (loopback by default). */
export async function redisAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await ping(port, host)) === '+PONG';
}

/** The first line a server sends back to PING, or null when nothing answers within 500 ms. */
async function ping(port: number, host: string): Promise<string | null> {
  return await new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      socket.destroy();
      resolve(data.toString().split('\r\n')[0] ?? '');
    });
    socket.on('error', () => resolve(null));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(null);
    });
  });
}

/**
 * Starts a throwaway `redis-server` on a loopback port with its own data directory.
 * Never touches a developer's or CI's shared Redis.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hotq-redis-'));
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const args = [
      ...(options.configFile === undefined ? [] : [options.configFile]),
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--save', '',
      '--appendonly', options.appendonly ? 'yes' : 'no',
      '--maxmemory-policy', 'noeviction',
      ...(options.args ?? []),
    ];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let failure: Error | undefined;
    proc.on('error', (error) => {
      failure = new Error(`could not start redis-server (is it installed and on PATH?): ${error.message}`);
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (failure) throw failure;
      if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode} on port ${port}`);
      // A server started with --requirepass answers -NOAUTH, one loading its data -LOADING: it is
      // up all the same (a test of the loading state needs to reach it then).
      const reply = await ping(port, '127.0.0.1');
      if (reply === '+PONG' || reply?.startsWith('-NOAUTH') || reply?.startsWith('-LOADING')) return;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`redis-server did not answer on port ${port} within 10 s`);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    // Already gone (exited, or killed by a signal from elsewhere): its 'exit' event has fired.
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir,
    start,
    stop,
    kill,
    signal: (signal) => {
      child?.kill(signal);
    },
    dispose: async () => {
      await stop();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
