// A TypeScript worker for items a Python program puts with hotqueue (python-producer.py).
import { HotQueue } from '@hotq/queue-core';

interface TextItem {
  id: number;
  text: string;
}

// Python's hotqueue pickles by default; when the producer uses serializer=json, pass --json here too.
const serializer = process.argv.includes('--json') ? 'json' : 'pickle';
const queue = new HotQueue('texts', { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0', serializer });

const countWords = queue.worker((item: unknown) => {
  const { id, text } = item as TextItem;
  console.log(`text ${id}: ${text.split(/\W+/).filter(Boolean).length} words`);
});

// Runs until it takes the producer's final None, which arrives here as null.
await countWords();
await queue.close();
