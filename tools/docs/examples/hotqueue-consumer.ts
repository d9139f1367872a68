// Terminal 2: take items as they arrive, until Ctrl-C.
import { HotQueue } from '@hotq/queue-core';

const queue = new HotQueue('tutorial', { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });

// Ctrl-C ends the loop at once, even in the middle of a wait.
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());

console.log(`waiting for items on ${queue.key} (Ctrl-C to stop)`);
for await (const item of queue.consume({ signal: stop.signal })) {
  console.log('got', item);
}
await queue.close();
