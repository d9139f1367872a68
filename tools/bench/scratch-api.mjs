import { BenchRedis } from './dist/bench-redis.js';
import { createApp } from '@hotq/api';
import { JobsStore } from '@hotq/jobs-store';
import { TaskQueue } from '@hotq/queue-core';
const r = await BenchRedis.start();
const redis = r.connect(5);
await redis.ping();
const app = createApp({ redis, prefix: 'hotq', queue: 'x' });
const server = await new Promise((res) => { const s = app.listen(0, '127.0.0.1', () => res(s)); });
const url = `http://127.0.0.1:${server.address().port}/jobs`;
const body = JSON.stringify({ type: 'noop', params: { data: 'x'.repeat(89) } });
async function run(label, n, fn) {
  const c0 = process.cpuUsage(); const r0 = await r.cpuSeconds(); const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const wall = performance.now() - t0; const c = process.cpuUsage(c0); const rc = await r.cpuSeconds() - r0;
  console.log(label, 'wall/op', (wall / n * 1000).toFixed(0), 'µs; node cpu/op', ((c.user + c.system) / n).toFixed(0), 'µs; redis cpu/op', (rc / n * 1e6).toFixed(0), 'µs');
}
const post = async () => { const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }); await res.text(); };
const store = new JobsStore({ redis, prefix: 'hotq', queue: 'x' });
const q = new TaskQueue({ redis, name: 'x', prefix: 'hotq', hooks: store.queueHooks() });
const plain = new TaskQueue({ redis, name: 'y', prefix: 'hotq' });
const put = async () => { const s = store.prepareSubmission({ type: 'noop', params: { data: 'x'.repeat(89) } }); await q.put(s.payload, s.put); };
const putPlain = async () => { await plain.put({ type: 'noop', params: { data: 'x'.repeat(89) } }); };
const get = async () => { await store.get(store.prepareSubmission({ type: 'noop', params: {} }).id); };
const ping = async () => { await redis.ping(); };
const health = async () => { const res = await fetch(url.replace('/jobs', '/healthz')); await res.text(); };
for (let k = 0; k < 2; k++) {
  await run('POST /jobs  ', 1000, post);
  await run('GET /healthz', 1000, health);
  await run('store+put   ', 2000, put);
  await run('put no hooks', 2000, putPlain);
  await run('store.get   ', 2000, get);
  await run('PING        ', 2000, ping);
}
await app.close(); server.closeAllConnections(); server.close(); redis.disconnect(); await r.stop();
