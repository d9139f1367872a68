import type { JobStatus } from './job-types.js';

/**
 * The keys of one store, all under the hash tag `{prefix:queue}` (one Redis Cluster slot, shared with
 * the TaskQueue of the same name). The layout is described once, in commands/_lib.lua; these are the
 * few keys TypeScript reads directly.
 */
export class StoreKeys {
  constructor(readonly base: string) {}

  job(id: string): string {
    return `${this.base}:job:${id}`;
  }

  /** The queue's payload of a job when longer than 64 bytes (else field P of the job's hash). */
  payload(id: string): string {
    return `${this.base}:payload:${id}`;
  }

  result(id: string): string {
    return `${this.base}:result:${id}`;
  }

  status(status: JobStatus): string {
    return `${this.base}:status:${status}`;
  }

  get finished(): string {
    return `${this.base}:finished`;
  }

  get events(): string {
    return `${this.base}:events`;
  }

  /** Present while some store watches jobs: the scripts publish events only then. */
  get watched(): string {
    return `${this.base}:watched`;
  }
}

export function keyBase(prefix: string, queue: string): string {
  return `{${prefix}:${queue}}`;
}
