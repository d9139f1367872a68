#!/usr/bin/env node
// The hotq command, a client of the HTTP API. A committed file, not a link straight to
// dist/hotq.js: npm links a bin only if its file exists at install time (in a fresh clone dist/ is
// built after that), and every rebuild rewrites dist/ without the execute bit.
import { existsSync } from 'node:fs';
import { exit, stderr } from 'node:process';
import { URL } from 'node:url';

const entry = new URL('../dist/hotq.js', import.meta.url);
if (!existsSync(entry)) {
  stderr.write('hotq: @hotq/api is not built (dist/hotq.js is missing): run `npm run build` at the repository root\n');
  exit(1);
}
await import(entry.href);
