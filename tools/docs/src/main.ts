// `npm run docs`: regenerates the tutorial's snippets and docs/reference/ (HTTP and packages).
// `npm run docs -- --check`: writes nothing, lists what is out of date, exits 1 if anything is.
// Starts a throwaway redis-server for the API it asks for its OpenAPI document; never uses 6379.
import { startRedisServer } from '@hotq/test-harness';
import { generateDocs, staleFiles, writeDocs } from './generate.js';
import { findRepoRoot } from './paths.js';

const check = process.argv.includes('--check');
const root = findRepoRoot();
const redis = await startRedisServer();
try {
  const files = await generateDocs(root, redis.url);
  if (check) {
    const stale = staleFiles(root, files);
    for (const line of stale) console.log(line);
    console.log(stale.length === 0 ? `docs are current (${files.size} generated files)` : 'docs are out of date: run `npm run docs`');
    process.exitCode = stale.length === 0 ? 0 : 1;
  } else {
    const changed = writeDocs(root, files);
    for (const line of changed) console.log(line);
    console.log(`${changed.length} of ${files.size} generated files changed`);
  }
} finally {
  await redis.dispose();
}
