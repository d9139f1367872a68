// The store of a queue of several partitions (docs/decisions/0021): one JobsStore per partition,
// each keeping the records of its partition's jobs under its hash tag, and this router in front. A
// job's id names its partition, so a read or a step of one job is one round trip to one partition;
// lists and counts ask every partition in parallel and merge.
import type { QueuePartitions, TaskQueue } from '@hotq/queue-core';
import type { BulkFilter, BulkOptions, BulkResult } from './bulk-types.js';
import type { JobMessage, JobStatus } from './job-types.js';
import type { JobsStore } from './jobs-store.js';
import type { JobPage, ListQuery } from './jobs-store-types.js';

/** The option key (absent from the public options type) that makes a JobsStore one partition of another. */
export const STORE_PARTITION = Symbol('hotq.store-partition');

/** How a store of one partition differs from a store of its own. */
export interface StorePartitionSpec {
  /** The partition's key base. */
  readonly base: string;
  /** The partitioning of the whole queue. */
  readonly partitions: QueuePartitions;
}

export class PartitionedStore {
  constructor(
    private readonly partitions: QueuePartitions,
    private readonly stores: readonly JobsStore[],
  ) {}

  /**
   * The store of the partition `id` names. An id that names none goes to partition 0, where no job
   * has it (its ids name partition 0): every read and step then finds no job, as for any unknown id.
   */
  storeOf(id: string): JobsStore {
    return this.stores[this.partitions.partitionOf(id) ?? 0] as JobsStore;
  }

  /**
   * One page over every partition, newest first, with one cursor. Each partition answers the same
   * query; partition p has then shown every job it holds from its own cursor up, so the jobs above
   * the highest of those cursors are complete and in order: the page is the newest `limit` of them,
   * and the next cursor where it ends.
   */
  async list(query: ListQuery, limit: number): Promise<JobPage> {
    const pages = await Promise.all(this.stores.map(async (store) => await store.list(query)));
    let floor: string | null = null;
    for (const page of pages) if (page.nextCursor !== null && (floor === null || page.nextCursor > floor)) floor = page.nextCursor;
    const jobs = pages.flatMap((page) => page.jobs).filter((job) => floor === null || job.id >= floor).sort((a, b) => (a.id < b.id ? 1 : -1));
    if (jobs.length > limit) return { jobs: jobs.slice(0, limit), nextCursor: (jobs[limit - 1] as { id: string }).id };
    return { jobs, nextCursor: floor };
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const all = await this.partitionCounts();
    const total = { ...(all[0] as Record<JobStatus, number>) };
    for (const counts of all.slice(1)) {
      for (const status of Object.keys(total) as JobStatus[]) total[status] += counts[status] ?? 0;
    }
    return total;
  }

  async partitionCounts(): Promise<Array<Record<JobStatus, number>>> {
    return await Promise.all(this.stores.map(async (store) => await store.counts()));
  }

  async purgeExpired(): Promise<number> {
    const purged = await Promise.all(this.stores.map(async (store) => await store.purgeExpired()));
    return purged.reduce((sum, count) => sum + count, 0);
  }

  /** A bulk action partition by partition (each in bounded steps), the results added up. */
  async bulk(action: 'retry' | 'cancel' | 'delete', queue: TaskQueue<JobMessage> | undefined, filter: BulkFilter, options: BulkOptions): Promise<BulkResult> {
    const results: BulkResult[] = [];
    for (const store of this.stores) {
      if (action === 'delete') results.push(await store.deleteJobs(filter, options));
      else if (action === 'retry') results.push(await store.retryJobs(queue as TaskQueue<JobMessage>, filter, options));
      else results.push(await store.cancelJobs(queue as TaskQueue<JobMessage>, filter, options));
    }
    const total: BulkResult = { matched: 0, changed: 0, skipped: { count: 0, reasons: {} }, dryRun: results[0]?.dryRun ?? false };
    for (const result of results) {
      total.matched += result.matched;
      total.changed += result.changed;
      total.skipped.count += result.skipped.count;
      for (const [reason, count] of Object.entries(result.skipped.reasons) as Array<[keyof BulkResult['skipped']['reasons'], number]>) {
        total.skipped.reasons[reason] = (total.skipped.reasons[reason] ?? 0) + count;
      }
    }
    return total;
  }
}
