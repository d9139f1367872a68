// Puts a word-count job on a reliable TaskQueue.
import { TaskQueue } from '@hotq/queue-core';
import { Redis } from 'ioredis';

interface TextJob {
  text: string;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
const queue = new TaskQueue<TextJob>({ redis, name: 'wordcount' });

const { id, outcome } = await queue.put({ text: 'to be or not to be, that is the question' });
console.log(`${id}: ${outcome}`);

const stats = await queue.stats();
console.log(`ready ${stats.ready}, leased ${stats.leased}, delayed ${stats.delayed}, dead ${stats.dead}`);

await queue.close();
await redis.quit();
