import type { Cluster, Redis } from 'ioredis';
import { duplicateClient, withTimeout } from './_redis.js';

/**
 * The blocking side of reserve: waits on a waiter's inbox and the queue's wake list, on a
 * connection of its own (made from the queue's on first use), so that a blocked `BLPOP` never holds
 * up the queue's other calls.
 */
export class WorkWaiter {
  private blocking: Redis | Cluster | undefined;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly wakeKey: string,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Blocks until woken, handed messages (returns the inbox item), `ms` pass or `signal` aborts.
   * Returns null unless handed messages.
   */
  async wait(ms: number, signal: AbortSignal | undefined, inbox: string): Promise<Buffer | null> {
    if (signal?.aborted) return null;
    if (!this.blocking) {
      this.blocking = duplicateClient(this.redis);
      // Connection errors surface through the wait itself; the client reconnects on its own.
      this.blocking.on('error', () => {});
    }
    const blocking = this.blocking;
    let cutOff: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      // An empty item in the inbox ends the wait. Cutting the connection instead could lose messages
      // a put hands over in the same instant: Redis would pop them for a reply nobody reads.
      this.redis.multi().lpush(inbox, '').pexpire(inbox, this.timeoutMs + ms).exec().catch(() => {});
      // Should that not get through (Redis out of reach), the connection is cut after all.
      cutOff = setTimeout(() => {
        if (this.blocking === blocking) this.blocking = undefined;
        blocking.disconnect();
      }, this.timeoutMs);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // The inbox first: when both have something, the handed-over messages are what matters.
      const popped = await withTimeout(blocking.blpopBuffer(inbox, this.wakeKey, ms / 1000), ms + this.timeoutMs, 'reserve (waiting for work)');
      return popped !== null && popped[0].toString() === inbox ? popped[1] : null;
    } catch (error) {
      if (!signal?.aborted) throw error;
      return null;
    } finally {
      clearTimeout(cutOff);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the blocking connection, if one was made. */
  close(): void {
    const blocking = this.blocking;
    this.blocking = undefined;
    blocking?.disconnect();
  }
}
