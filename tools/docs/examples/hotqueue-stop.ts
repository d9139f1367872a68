// Stops a consumer or worker of the queue: each one that takes a null item ends.
import { HotQueue } from '@hotq/queue-core';

const queue = new HotQueue('tutorial', { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });
await queue.put(null);
await queue.close();
