// Stop requests pushed to the consumer that holds a lease: remove.lua publishes the message id on
// `<base>:stop:<consumer>` when it flags a leased message, so the consumer learns of it at once
// instead of at its next extend (which still reports the flag, should a push be missed).
import type { Cluster, Redis } from 'ioredis';
import { duplicateClient } from './_redis.js';
import type { StopListener } from './task-queue-types.js';

/** The channel the stop requests for `consumer` are published on. */
export function stopChannel(base: string, consumer: string): string {
  return `${base}:stop:${consumer}`;
}

/**
 * Subscribes on a connection of its own (a subscribed connection can do nothing else) and calls
 * `listener` with each id published on any of `channels` (one per partition of a partitioned queue).
 * It waits for Redis as long as it takes, and resubscribes after a reconnect by itself.
 */
export function listenForStops(redis: Redis | Cluster, channels: readonly string[], listener: (id: string) => void): StopListener {
  const subscriber = duplicateClient(redis, { enableOfflineQueue: true });
  subscriber.on('error', () => {
    // It reconnects (and resubscribes) by itself; meanwhile extend reports stop requests.
  });
  const listening = new Set(channels);
  subscriber.on('message', (from: string, id: string) => {
    if (listening.has(from)) listener(id);
  });
  let closed = false;
  const ready = new Promise<void>((resolve) => {
    subscriber.subscribe(...channels).then(
      () => resolve(),
      // Closed before it could subscribe: nothing to wait for.
      () => resolve(),
    );
  });
  return {
    ready,
    close: async () => {
      if (closed) return;
      closed = true;
      subscriber.disconnect();
    },
  };
}
