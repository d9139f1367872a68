// Terminal 1: put work on the queue. Run it as often as you like.
import { HotQueue } from '@hotq/queue-core';

const queue = new HotQueue('tutorial', { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0' });

await queue.put('hello from terminal 1');
await queue.put({ text: 'to be or not to be' });
await queue.put(1, 2, 3); // one RPUSH: all three items, in order, or none

console.log(`${await queue.length()} items waiting in ${queue.key}`);
await queue.close();
