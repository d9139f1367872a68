import type { Cluster, Redis } from 'ioredis';
import { duplicateClient } from '@hotq/queue-core';
import { JobNotFoundError } from './errors.js';
import { JOB_STATUSES, type Job, type JobEvent, type JobStatus } from './job-types.js';
import type { QueueChange } from './queue-change.js';
import { isJobId } from './job-id.js';
import { isPlainObject } from './_validate.js';

/** What arrives for one job: a status change, a progress update, or "look again" after a reconnect. */
type Signal = { kind: 'status' } | { kind: 'progress'; progress: Job['progress'] } | { kind: 'resync' };

const isStatus = (value: unknown): value is JobStatus => typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);

/**
 * One listener of one job. Signals are handled one at a time, in order; until its first event (the job
 * as read after subscribing) they are held back, so nothing that happened in between is lost.
 */
class Watcher {
  closed = false;
  private held: Signal[] | null = [];
  private chain: Promise<void> = Promise.resolve();
  private last: { status: string; attempts: number } | undefined;

  constructor(
    readonly id: string,
    private readonly listener: (event: JobEvent) => void,
    private readonly read: (id: string) => Promise<Job | null>,
  ) {}

  signal(signal: Signal): void {
    if (this.closed) return;
    if (this.held) this.held.push(signal);
    else this.enqueue(signal);
  }

  start(job: Job): void {
    this.emitStatus(job);
    const held = this.held ?? [];
    this.held = null;
    for (const signal of held) this.enqueue(signal);
  }

  private enqueue(signal: Signal): void {
    this.chain = this.chain.then(() => this.handle(signal)).catch(() => undefined);
  }

  private async handle(signal: Signal): Promise<void> {
    if (this.closed) return;
    if (signal.kind === 'progress') {
      this.emit({ kind: 'progress', id: this.id, progress: signal.progress });
      return;
    }
    // The event says only that the status changed: send the whole job as it is now.
    const job = await this.read(this.id);
    if (job !== null && !this.closed) this.emitStatus(job);
  }

  /** Sends the job unless it is what was sent last (a late event for a change already shown). */
  private emitStatus(job: Job): void {
    if (this.last && this.last.status === job.status && this.last.attempts === job.attempts) return;
    this.last = { status: job.status, attempts: job.attempts };
    this.emit({ kind: 'status', job });
  }

  private emit(event: JobEvent): void {
    try {
      this.listener(event);
    } catch {
      // A listener's failure is its own; the other listeners and later events go on.
    }
  }
}

/**
 * A message of the events channel: from the scripts, `{"id","status"}` (a transition) or
 * `{"id","progress"}`; from {@link EventHub.announce}, `{"created":[[id,status],...]}` (jobs just
 * made, which the scripts do not send).
 */
type Message =
  | { kind: 'signal'; id: string; signal: Signal; status?: JobStatus }
  | { kind: 'created'; jobs: Array<{ id: string; status: JobStatus }> };

function parseMessage(message: string): Message | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (!isPlainObject(value)) return null;
  if (Array.isArray(value.created)) {
    const jobs = value.created.flatMap((entry: unknown) => {
      if (!Array.isArray(entry) || !isJobId(entry[0]) || !isStatus(entry[1])) return [];
      return [{ id: entry[0], status: entry[1] }];
    });
    return { kind: 'created', jobs };
  }
  if (typeof value.id !== 'string') return null;
  if ('progress' in value) {
    const progress = value.progress;
    if (typeof progress !== 'number' && !isPlainObject(progress)) return null;
    return { kind: 'signal', id: value.id, signal: { kind: 'progress', progress: progress as Job['progress'] } };
  }
  if (typeof value.status !== 'string') return null;
  return { kind: 'signal', id: value.id, signal: { kind: 'status' }, ...(isStatus(value.status) ? { status: value.status } : {}) };
}

/** How long the "watched" mark lives without renewal, and how often an open hub renews it. */
const WATCHED_TTL_MS = 60_000;
const WATCHED_RENEW_MS = 20_000;
/** How long {@link EventHub.announce} trusts what it last learnt about the "watched" mark. */
const WATCHED_LOOKUP_MS = 1_000;
/**
 * When a hub of this process last set each "watched" mark (by key): another store of the same queue
 * in the same process (the API's writing store beside the one its live lists watch through) knows at
 * once instead of trusting a lookup up to a second old. The mark lives WATCHED_TTL_MS in Redis too.
 */
const marksHere = new Map<string, number>();
/** What an announcement nobody watches returns: one settled promise, shared. */
const NOTHING_TO_DO: Promise<void> = Promise.resolve();

/**
 * The store's event channel: one subscriber connection (a duplicate of the store's), shared by all
 * watchers, dispatching by job id; opened by the first watcher and closed when the last one leaves.
 * While it is open it keeps the "watched" key alive: the scripts publish only while that key exists,
 * so a queue nobody watches spends no command on events. Each watch sets the key after subscribing
 * and before the read its first event comes from, so every change after that read is published.
 */
export class EventHub {
  private readonly watchers = new Map<string, Set<Watcher>>();
  /** Listeners of every job's changes (watchQueue). */
  private readonly queueListeners = new Set<(change: QueueChange) => void>();
  /** The mark as last looked up by announce, and when. */
  private watchedLookup: { watched: boolean; at: number } | undefined;
  private connection: { client: Redis | Cluster; subscribed: Promise<void>; renew: NodeJS.Timeout } | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly channel: string,
    private readonly watchedKey: string,
    private readonly read: (id: string) => Promise<Job | null>,
  ) {}

  private async markWatched(): Promise<void> {
    await this.redis.set(this.watchedKey, '1', 'PX', WATCHED_TTL_MS);
    marksHere.set(this.watchedKey, Date.now());
  }

  /** Subscribes, reads the job (refusing one that does not exist), marks the queue watched, and sends the job as read after that as the first event. */
  async watch(id: string, listener: (event: JobEvent) => void): Promise<() => Promise<void>> {
    const watcher = new Watcher(id, listener, this.read);
    this.add(watcher);
    try {
      await this.subscribe();
      // A job that does not exist is refused before anything is written (the mark is a write).
      if ((await this.read(id)) === null) throw new JobNotFoundError(id);
      await this.markWatched();
      // Read again: what changed before the mark may not have been published.
      const job = await this.read(id);
      if (job === null) throw new JobNotFoundError(id);
      watcher.start(job);
    } catch (error) {
      this.remove(watcher);
      throw error;
    }
    return async () => this.remove(watcher);
  }

  /**
   * Calls `listener` with the status changes of every job (and the creations announced), until the
   * returned function is called. Resolves once subscribed and the queue is marked watched: every
   * change after that is sent, so a listener reads what it shows after this resolves.
   */
  async watchQueue(listener: (change: QueueChange) => void): Promise<() => Promise<void>> {
    this.queueListeners.add(listener);
    try {
      await this.subscribe();
      await this.markWatched();
    } catch (error) {
      this.queueListeners.delete(listener);
      this.closeIfIdle();
      throw error;
    }
    return async () => {
      this.queueListeners.delete(listener);
      this.closeIfIdle();
    };
  }

  /**
   * Publishes the creation of jobs, which the queue's scripts do not send (a job has no watcher of
   * its own before it exists), for the queue's watchers: one message, and only while some store
   * watches the queue. Whether one does is known at once when a hub of this process watches, and
   * otherwise looked up at most once a second, so a queue nobody watches spends one EXISTS a second at most.
   */
  announce(jobs: ReadonlyArray<{ id: string; status: JobStatus }>): Promise<void> {
    // Known without asking Redis nearly always, and then nothing is made but a settled promise (this
    // runs after every submission): not an async function, whose frame would cost a promise or two.
    const known = jobs.length === 0 ? false : this.watchedAsFarAsKnown(Date.now());
    if (known === false) return NOTHING_TO_DO;
    const publish = async (): Promise<void> => {
      await this.redis.publish(this.channel, JSON.stringify({ created: jobs.map((job) => [job.id, job.status]) }));
    };
    if (known) return publish();
    return this.lookUpWatched().then((watched) => (watched ? publish() : undefined));
  }

  /** Whether the queue is watched, from what this process knows; undefined when Redis must be asked. */
  private watchedAsFarAsKnown(now: number): boolean | undefined {
    if (this.connection) return true;
    if (now - (marksHere.get(this.watchedKey) ?? Number.NEGATIVE_INFINITY) < WATCHED_TTL_MS) return true;
    if (this.watchedLookup && now - this.watchedLookup.at < WATCHED_LOOKUP_MS) return this.watchedLookup.watched;
    return undefined;
  }

  private async lookUpWatched(): Promise<boolean> {
    const at = Date.now();
    const watched = (await this.redis.exists(this.watchedKey)) === 1;
    this.watchedLookup = { watched, at };
    return watched;
  }

  private emitQueue(change: QueueChange): void {
    for (const listener of this.queueListeners) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  private add(watcher: Watcher): void {
    let set = this.watchers.get(watcher.id);
    if (!set) this.watchers.set(watcher.id, (set = new Set()));
    set.add(watcher);
  }

  private remove(watcher: Watcher): void {
    watcher.closed = true;
    const set = this.watchers.get(watcher.id);
    set?.delete(watcher);
    if (set?.size === 0) this.watchers.delete(watcher.id);
    this.closeIfIdle();
  }

  /** Closes the subscriber connection once nobody listens. */
  private closeIfIdle(): void {
    if (this.watchers.size === 0 && this.queueListeners.size === 0 && this.connection) {
      const { client, renew } = this.connection;
      this.connection = undefined;
      clearInterval(renew);
      client.disconnect();
    }
  }

  private subscribe(): Promise<void> {
    if (!this.connection) {
      // The subscription is sent as soon as the connection is made: let it wait for the connection
      // even when the store's own client fails fast while disconnected (enableOfflineQueue: false).
      const client = duplicateClient(this.redis, { enableOfflineQueue: true });
      let connectedBefore = false;
      client.on('error', () => {
        // ioredis reconnects by itself; a watcher sees the state again after the reconnect (below).
      });
      client.on('ready', () => {
        // Messages published while disconnected are lost: every watcher looks at its job again, once
        // the mark is back (it may have expired meanwhile), so that later changes are published.
        if (connectedBefore) {
          const resync = (): void => {
            for (const set of this.watchers.values()) for (const watcher of set) watcher.signal({ kind: 'resync' });
            this.emitQueue({ kind: 'resync' });
          };
          this.markWatched().then(resync, resync);
        }
        connectedBefore = true;
      });
      client.on('message', (_channel: string, message: string) => {
        const parsed = parseMessage(message);
        if (!parsed) return;
        if (parsed.kind === 'created') {
          for (const job of parsed.jobs) this.emitQueue({ kind: 'status', ...job });
          return;
        }
        for (const watcher of this.watchers.get(parsed.id) ?? []) watcher.signal(parsed.signal);
        if (parsed.status !== undefined) this.emitQueue({ kind: 'status', id: parsed.id, status: parsed.status });
      });
      const renew = setInterval(() => {
        this.markWatched().catch(() => undefined);
      }, WATCHED_RENEW_MS);
      renew.unref();
      const connection = {
        client,
        renew,
        subscribed: client.subscribe(this.channel).then(
          () => undefined,
          (error: unknown) => {
            if (this.connection === connection) this.connection = undefined;
            clearInterval(renew);
            client.disconnect();
            throw error;
          },
        ),
      };
      this.connection = connection;
    }
    return this.connection.subscribed;
  }
}
