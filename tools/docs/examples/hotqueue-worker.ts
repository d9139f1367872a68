// The `worker` decorator of Python hotqueue, as functions.
import { HotQueue } from '@hotq/queue-core';

const queue = new HotQueue('tutorial', { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });

// Python: @queue.worker(timeout=1) — ends after one second without an item.
const drain = queue.worker({ timeout: 1 })((item: unknown) => {
  console.log('drained', item);
});

// Python: @queue.worker — waits for items forever. Arguments you pass come first, the item last.
// It ends when it takes a null item (Python's None, the "poison pill") or when the function throws.
const printer = queue.worker((label: string, item: unknown) => {
  console.log(label, item);
});

await drain();
console.log('the queue is empty; waiting for more (put null to stop)');
await printer('got');
await queue.close();
