/*
 * hotq's packages, loaded through their public entries by name. @hotq/jobs-store, @hotq/worker and
 * @hotq/api are being written alongside this tool: the shapes below are the parts of their contract
 * (docs/decisions/0003-jobs-store-surface.md, DESIGN.md) the bench uses. A package whose entry does
 * not export what the bench needs yet is reported as missing, and the phases that need it are skipped
 * with a note; any other failure to load it is an error.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

/** `store.prepareSubmission(...)`: the payload and put options for `queue.put`. */
export interface PreparedSubmission {
  id: string;
  payload: unknown;
  put: { id: string; delayMs?: number; maxAttempts?: number; vars?: Record<string, string>; priority?: number; scopes?: string[] };
}

/** The part of `JobsStore` the bench uses. */
export interface JobsStoreLike {
  queueHooks(): string | { source: string; keyBase?: string };
  prepareSubmission(input: { type: string; params?: Record<string, unknown>; priority?: number }): PreparedSubmission;
  counts(): Promise<Record<string, number>>;
}

export type JobsStoreConstructor = new (options: { redis: Redis; prefix?: string; queue?: string }) => JobsStoreLike;

/** A job handler: `async (job, ctx) => result`. */
export type Handler = (job: unknown, ctx: unknown) => Promise<unknown>;

/** What `createWorker` returns. */
export interface WorkerLike {
  start(): unknown;
  stop(): Promise<unknown>;
}

export type CreateWorker = (options: {
  redis: Redis;
  queue: string;
  prefix: string;
  handlers: Record<string, Handler>;
  concurrency: number;
}) => WorkerLike;

/** An Express app (a request listener with `listen`) that lets go of what it opened with `close`. */
export interface AppLike {
  listen(port: number, host: string, callback: () => void): import('node:http').Server;
  close?(): Promise<void>;
}

export type CreateApp = (options: { redis: Redis; prefix: string; queue: string }) => AppLike;

/** A package that is there, or why it is not. */
export type Loaded<T> = { ok: true; value: T; version: string } | { ok: false; reason: string };

/** The version in a package's package.json (reachable through its exports map). */
export function packageVersion(name: string): string {
  return (require(`${name}/package.json`) as { version: string }).version;
}

/** The path of a package's bin, from its package.json, or undefined when it declares none. */
export function packageBin(name: string, bin: string): string | undefined {
  const manifestPath = require.resolve(`${name}/package.json`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
  const path = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
  return path === undefined ? undefined : resolve(dirname(manifestPath), path);
}

async function loadExport<T>(name: string, exportName: string): Promise<Loaded<T>> {
  let entry: Record<string, unknown>;
  try {
    entry = (await import(name)) as unknown as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(name)) {
      return { ok: false, reason: `${name} is not built or installed (${(error as Error).message})` };
    }
    throw error;
  }
  const value = entry[exportName];
  if (typeof value !== 'function') {
    return { ok: false, reason: `${name} does not export ${exportName} yet (the package has not landed)` };
  }
  return { ok: true, value: value as T, version: packageVersion(name) };
}

export const loadJobsStore = (): Promise<Loaded<JobsStoreConstructor>> => loadExport('@hotq/jobs-store', 'JobsStore');
export const loadCreateWorker = (): Promise<Loaded<CreateWorker>> => loadExport('@hotq/worker', 'createWorker');
export const loadCreateApp = (): Promise<Loaded<CreateApp>> => loadExport('@hotq/api', 'createApp');
