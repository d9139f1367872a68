// Takes word-count jobs from the TaskQueue under a lease, and acknowledges each one it finishes.
// With --crash it takes one job and exits without a word, as a crashing process would.
import { TaskQueue } from '@hotq/queue-core';
import { Redis } from 'ioredis';

interface TextJob {
  text: string;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0');
// A job we take is ours for 5 s; if we neither ack nor nack it by then, it is handed out again.
const queue = new TaskQueue<TextJob>({ redis, name: 'wordcount', leaseMs: 5_000, maxAttempts: 3 });
const crash = process.argv.includes('--crash');

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());

console.log('waiting for jobs (Ctrl-C to stop)');
while (!stop.signal.aborted) {
  // Waits up to 2 s for a job; an empty answer just means "nothing yet".
  const { messages } = await queue.reserve({ count: 1, waitMs: 2_000, consumer: 'tutorial', signal: stop.signal });
  for (const job of messages) {
    console.log(`${job.id}: attempt ${job.attempt} of ${job.maxAttempts}`);
    if (crash) process.exit(1); // no ack: the lease runs out and the job comes back
    try {
      const words = job.payload.text.split(/\W+/).filter(Boolean);
      console.log(`${job.id}: ${words.length} words`);
      await queue.ack(job); // done for good; an ack with a stale lease would be refused
    } catch (error) {
      // Try again in a second; after the last attempt the job goes to the dead-letter set.
      await queue.nack(job, { delayMs: 1_000, reason: String(error) });
    }
  }
}
await queue.close();
await redis.quit();
