#!/usr/bin/env node
// The hotq-worker command. A committed file, not a link straight to dist/bin.js: npm links a bin only
// if its file exists at install time (in a fresh clone dist/ is built after that), and every
// rebuild rewrites dist/ without the execute bit. This file has neither problem.
import { existsSync } from 'node:fs';
import { exit, stderr } from 'node:process';
import { URL } from 'node:url';

const entry = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(entry)) {
  stderr.write('hotq-worker: @hotq/worker is not built (dist/bin.js is missing): run `npm run build` at the repository root\n');
  exit(1);
}
await import(entry.href);
