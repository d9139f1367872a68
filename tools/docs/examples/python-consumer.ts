// A TypeScript worker for items a Python program puts with hotqueue (python-producer.py).
import { HotQueue, SerializationError } from '@hotq/queue-core';

interface TextItem {
  id: number;
  text: string;
}

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/0';
// Python's hotqueue pickles by default; when the producer uses serializer=json, pass --json here too.
const serializer = process.argv.includes('--json') ? 'json' : 'pickle';
const queue = new HotQueue('texts', { url, serializer });

const countWords = queue.worker((item: unknown) => {
  const { id, text } = item as TextItem;
  console.log(`text ${id}: ${text.split(/\W+/).filter(Boolean).length} words`);
});

try {
  // Runs until it takes the producer's final None, which arrives here as null.
  await countWords();
} catch (error) {
  if (!(error instanceof SerializationError) || error.bytes === undefined) throw error;
  // The item has already left the queue (at most once): keep its bytes, or they are gone for good.
  const undecodable = new HotQueue('texts:undecodable', { url, serializer: 'raw' });
  await undecodable.put(error.bytes);
  await undecodable.close();
  console.error(error.message);
  console.error(`kept its ${error.bytes.length} bytes in ${undecodable.key}`);
  process.exitCode = 1;
}
await queue.close();
