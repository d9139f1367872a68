import type { ReservedMessage, TaskQueue } from '@hotq/queue-core';
import type { JobMessage } from '@hotq/jobs-store';
import { reconnectDelay } from './_backoff.js';
import type { PendingAck } from './_held-job.js';

/** How long an idle worker blocks waiting for work before it asks the queue again. */
export const IDLE_WAIT_MS = 2_000;
/**
 * Reserve calls in flight at most. With two, Redis runs one while the worker handles the reply of
 * the other (starts its handlers, collects their acks), instead of each side waiting for the other.
 */
const LANES = 2;

/** What the lanes need from the worker. */
export interface LaneHost {
  /** How many jobs may run at once. */
  readonly concurrency: number;
  /** Handler slots in use now. */
  busySlots(): number;
  /** Acks waiting to ride on a reserve. */
  pendingAcks(): number;
  /** Takes every ack waiting (they ride on the call about to be made). */
  takeAcks(): readonly PendingAck[];
  /** Outcomes being written outside the lanes (failures, retried acks). */
  readonly writes: ReadonlySet<Promise<unknown>>;
  /** Whether commands can be sent now (a queued command could run long after its caller gave up). */
  connected(): boolean;
  /** Resolves once the connection is ready again, after a while, or when `signal` aborts. */
  untilReady(signal: AbortSignal): Promise<void>;
  /** A reserve call came back: `batch` was acked (per `acked`) and `messages` are leased to us. */
  received(batch: readonly PendingAck[], acked: readonly boolean[], messages: readonly ReservedMessage<JobMessage>[]): void;
  /** A reserve call failed (its acks may or may not have been applied). `stopping`: do not log it. */
  failed(batch: readonly PendingAck[], error: unknown, stopping: boolean): void;
  /** A bug in handling a reply: logged, never thrown into the void. */
  unexpected(error: unknown): void;
}

/**
 * The worker's intake: reserve calls (`TaskQueue.reserve`), each acking the jobs that finished since
 * the last one and leasing new ones, at most {@link LANES} in flight.
 *
 * - Slots: a call asks for at most half of `concurrency` (rounded up), and never for more than the
 *   slots neither running a handler nor promised to a call in flight, so the leases held never
 *   exceed `concurrency`. (A slot is free once its handler ended; its ack rides on the next call,
 *   which Redis runs before any later call on the same connection leases anything.)
 * - Idle: when the last call that asked for work got less than it asked for, the queue looked empty;
 *   the next call, made only when no other is in flight, waits for work (`waitMs`) after its one
 *   reserve finds nothing. Meanwhile a second lane only carries acks (count 0). A call that got all
 *   it asked for is followed by one that does not wait.
 * - When to call: at concurrency 1 at once (nothing else can finish meanwhile); above that on the
 *   next turn of the event loop, so the acks of the handlers ending in this turn share one call.
 */
export class ReserveLanes {
  private readonly perCall: number;
  private readonly abort = new AbortController();
  private readonly calls = new Set<Promise<void>>();
  private inFlight = 0;
  /** Slots asked for by the calls in flight. */
  private requested = 0;
  /** A call in flight may block waiting for work. */
  private blocking = false;
  /** The last call that asked for work got all it asked for (so do not wait for work next). */
  private lastFull = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Waiting for the connection, or for failures being written before an idle wait. */
  private waiting = false;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly tasks: TaskQueue<JobMessage>,
    private readonly consumer: string,
    private readonly host: LaneHost,
  ) {
    this.perCall = Math.ceil(host.concurrency / LANES);
  }

  /** Something changed (a slot freed, an ack queued): call Redis if there is reason to and a lane is free. */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    if (this.host.concurrency === 1) {
      this.pump();
      return;
    }
    this.scheduled = true;
    setImmediate(this.pumpLater);
  }

  /** Makes no more calls, interrupts a wait for work, and resolves once the calls in flight are handled. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.abort.abort();
    while (this.calls.size > 0) await Promise.allSettled([...this.calls]);
  }

  private readonly pumpLater = (): void => {
    this.scheduled = false;
    this.pump();
  };

  private pump(): void {
    const { host } = this;
    while (!this.stopped && this.inFlight < LANES && this.retryTimer === undefined && !this.waiting) {
      if (!host.connected()) {
        this.waitFor(host.untilReady(this.abort.signal));
        return;
      }
      const acks = host.pendingAcks() > 0;
      // While a call waits for work, or the queue looked empty, new work is left to the call in
      // flight: another would only find nothing (or queue behind the wait on the blocking connection).
      const leaveWork = this.blocking || (!this.lastFull && this.inFlight > 0);
      const count = leaveWork ? 0 : Math.min(this.perCall, host.concurrency - host.busySlots() - this.requested);
      if (count <= 0 && !acks) return;
      let waitMs = 0;
      if (count > 0 && !this.lastFull && this.inFlight === 0) {
        if (host.writes.size === 0) waitMs = IDLE_WAIT_MS;
        else if (!acks) {
          // A failure being written may schedule a retry: let the queue know of it before an idle
          // wait, whose length the queue bounds by the next due retry.
          this.waitFor(Promise.allSettled([...host.writes]));
          return;
        }
      }
      this.call(Math.max(0, count), waitMs);
    }
  }

  private waitFor(until: Promise<unknown>): void {
    this.waiting = true;
    void until.then(() => {
      this.waiting = false;
      this.pump();
    });
  }

  private call(count: number, waitMs: number): void {
    const batch = this.host.takeAcks();
    this.inFlight += 1;
    this.requested += count;
    if (waitMs > 0) this.blocking = true;
    const ended = (): void => {
      this.inFlight -= 1;
      this.requested -= count;
      if (waitMs > 0) this.blocking = false;
      this.calls.delete(call);
    };
    const call: Promise<void> = this.tasks
      .reserve({ count, consumer: this.consumer, acks: batch.map((pending) => pending.request), waitMs, signal: this.abort.signal })
      .then(
        ({ messages, acked }) => {
          this.failures = 0;
          if (count > 0) this.lastFull = messages.length >= count;
          // The call counts as in flight (its slots as asked for) until its jobs hold their slots.
          try {
            this.host.received(batch, acked, messages);
          } finally {
            ended();
          }
          this.kick();
        },
        (error: unknown) => {
          ended();
          this.host.failed(batch, error, this.stopped);
          if (this.stopped) return;
          this.failures += 1;
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, reconnectDelay(this.failures));
        },
      )
      .catch((error: unknown) => {
        this.host.unexpected(error);
        this.kick();
      });
    this.calls.add(call);
  }
}
