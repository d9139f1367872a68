// The HTTP API and a worker with a job type of your own, in one process.
import { createApp } from '@hotq/api';
import { createWorker } from '@hotq/worker';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import handlers from './shout-handlers.js';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
// A queue of its own: every worker of a queue must serve every job type put on it.
const queue = 'shouting';

const redis = new Redis(redisUrl);
const app = createApp({ redis, queue });
const worker = createWorker({ redisUrl, queue, handlers });
await worker.start();

const server = app.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port} (worker ${worker.id} serves ${worker.types.join(', ')})`);
});

// Ctrl-C: stop accepting requests, let the worker finish what it runs, then close Redis.
process.once('SIGINT', () => {
  server.close();
  void Promise.all([app.close(), worker.stop()]).then(() => redis.quit());
});
