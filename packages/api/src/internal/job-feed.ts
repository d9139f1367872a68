// The queue's changes for every open GET /events stream of this process (docs/decisions/0022): one
// subscription (JobsStore.watchQueue) however many streams are open, and per window at most one read
// of the jobs that changed and one of the counts; the same text is written to every stream. So what
// Redis spends depends on how fast jobs change, never on how many browsers watch.
import type { Job, JobsStore, JobStatus, QueueChange } from '@hotq/jobs-store';
import type { Logger } from 'pino';
import { jobBody, statusCounts } from './context.js';

/** Where a batch goes: one open stream. */
export interface FeedClient {
  send(event: 'changes' | 'resync', data: string): void;
}

/** A stream's place in the feed: `ready` once every later change will reach it. */
export interface Membership {
  ready: Promise<void>;
  leave(): void;
}

export interface FeedOptions {
  /** Changes are gathered this long, then sent together. */
  windowMs: number;
  /** Jobs read (and sent whole) per window at most: the newest that changed. */
  readLimit: number;
  /** Distinct jobs kept per window at most; changes of others are only counted (`dropped`). */
  maxPending: number;
}

export const FEED_DEFAULTS: FeedOptions = { windowMs: 250, readLimit: 50, maxPending: 10_000 };

/** A job as the list shows it: the job object without its params (which may be large). */
export type JobSummary = Omit<Job, 'params'>;

function summaryOf(job: Job): JobSummary {
  const body: Partial<Job> = jobBody(job);
  delete body.params;
  return body as JobSummary;
}

export class JobFeed {
  private readonly clients = new Set<FeedClient>();
  private subscription: Promise<() => Promise<void>> | undefined;
  private pending = new Map<string, JobStatus>();
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly store: JobsStore,
    /** Bounds each Redis call of a flush (the route's own timeout). */
    private readonly redisCall: <T>(work: Promise<T>, what: string) => Promise<T>,
    private readonly logger: Logger,
    private readonly options: FeedOptions = FEED_DEFAULTS,
  ) {}

  /** How many streams this process feeds. */
  get size(): number {
    return this.clients.size;
  }

  /** Adds a stream. The first one subscribes; `ready` rejects when the subscription fails. */
  join(client: FeedClient): Membership {
    this.clients.add(client);
    const ready = this.subscribe().then(() => undefined);
    return { ready, leave: () => this.leave(client) };
  }

  /** Ends every stream's membership and the subscription (the app is closing). */
  close(): void {
    for (const client of [...this.clients]) this.leave(client);
  }

  private subscribe(): Promise<() => Promise<void>> {
    if (!this.subscription) {
      const subscription = this.store.watchQueue((change) => this.onChange(change));
      this.subscription = subscription;
      subscription.catch(() => {
        if (this.subscription === subscription) this.subscription = undefined;
      });
    }
    return this.subscription;
  }

  private leave(client: FeedClient): void {
    if (!this.clients.delete(client) || this.clients.size > 0) return;
    const subscription = this.subscription;
    this.subscription = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = new Map();
    this.dropped = 0;
    subscription?.then((stop) => stop(), () => undefined).catch((error: unknown) => {
      this.logger.warn({ err: { message: (error as Error)?.message } }, 'could not end the queue subscription');
    });
  }

  private onChange(change: QueueChange): void {
    if (change.kind === 'resync') {
      this.broadcast('resync', '{}');
      return;
    }
    if (this.pending.has(change.id) || this.pending.size < this.options.maxPending) this.pending.set(change.id, change.status);
    else this.dropped += 1;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.clients.size === 0) return;
    this.timer = setTimeout(() => void this.flush(), this.options.windowMs);
    this.timer.unref();
  }

  /**
   * Sends what changed in the window: the newest `readLimit` jobs read whole (a job deleted meanwhile
   * is left out), the rest as id and status, how many were only counted, and the counts by status.
   * One flush at a time: changes that arrive meanwhile wait for the next window.
   */
  private async flush(): Promise<void> {
    this.timer = undefined;
    // ULIDs sort by creation: newest first, the jobs a first page shows.
    const changes = [...this.pending].sort(([a], [b]) => (a < b ? 1 : -1));
    const dropped = this.dropped;
    this.pending = new Map();
    this.dropped = 0;
    if (changes.length === 0 && dropped === 0) return;
    this.flushing = true;
    try {
      const read = changes.slice(0, this.options.readLimit);
      // Round trips: the reads and the counts go out together (ioredis pipelines them), one flight.
      const [jobs, counts] = await Promise.all([
        this.redisCall(Promise.all(read.map(async ([id]) => await this.store.get(id))), 'read changed jobs'),
        this.redisCall(this.store.counts(), 'count jobs'),
      ]);
      const more = changes.slice(this.options.readLimit).map(([id, status]) => ({ id, status }));
      const summaries = jobs.flatMap((job) => (job ? [summaryOf(job)] : []));
      this.broadcast('changes', JSON.stringify({ jobs: summaries, more, dropped, counts: statusCounts(counts) }));
    } catch (error) {
      // Redis did not answer: what changed is not known, so every stream is told to read again.
      this.logger.warn({ err: { message: (error as Error)?.message } }, 'could not read the changed jobs for /events');
      this.broadcast('resync', '{}');
    } finally {
      this.flushing = false;
      if (this.pending.size > 0 || this.dropped > 0) this.schedule();
    }
  }

  private broadcast(event: 'changes' | 'resync', data: string): void {
    for (const client of this.clients) client.send(event, data);
  }
}
