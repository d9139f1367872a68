// Loading and checking handler maps. Used by the worker, by the bin (to fail before touching Redis)
// and by each handler thread; it must stay free of Redis and logging imports for the threads' sake.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { demoHandlers } from './demo-handlers.js';
import { WorkerError } from './errors.js';
import type { Handlers } from './handler-types.js';

/** Job type names, as jobs-store accepts them. */
const TYPE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Checks that `value` maps type names to functions; `source` names where it came from. */
export function checkHandlers(value: unknown, source: string): Handlers {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WorkerError('invalid_option', `${source} must be an object mapping job types to handler functions`);
  }
  for (const [type, handler] of Object.entries(value)) {
    if (!TYPE_NAME.test(type)) {
      throw new WorkerError(
        'invalid_option',
        `${source}: "${type}" is not a job type name (lowercase letters, digits, "_", ".", "-"; at most 64, starting with a letter or digit)`,
      );
    }
    if (typeof handler !== 'function') {
      throw new WorkerError('invalid_option', `${source}: the handler for "${type}" must be a function (received ${typeof handler})`);
    }
  }
  return value as Handlers;
}

/** A module path as given on the command line (relative to the working directory) or a file: URL. */
export function handlersModuleUrl(path: string): string {
  if (path.startsWith('file:')) return path;
  return pathToFileURL(isAbsolute(path) ? path : resolve(process.cwd(), path)).href;
}

/** Imports a handlers module (its default export maps type -> handler) and checks it. */
export async function loadHandlersModule(path: string): Promise<Handlers> {
  let namespace: { default?: unknown };
  try {
    namespace = (await import(handlersModuleUrl(path))) as { default?: unknown };
  } catch (error) {
    throw new WorkerError('handlers_unloadable', `cannot load handlers module "${path}": ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  if (namespace.default === undefined) {
    throw new WorkerError('handlers_unloadable', `handlers module "${path}" has no default export (expected an object mapping job types to handlers)`);
  }
  try {
    return checkHandlers(namespace.default, `the default export of "${path}"`);
  } catch (error) {
    throw new WorkerError('handlers_unloadable', (error as Error).message);
  }
}

/** The demo handlers, then the module's, then the given ones: later ones win. */
export function mergeHandlers(...maps: ReadonlyArray<Handlers | undefined>): Handlers {
  return Object.assign(Object.create(null) as Handlers, demoHandlers, ...maps.filter(Boolean));
}
