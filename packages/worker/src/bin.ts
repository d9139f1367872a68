#!/usr/bin/env node
// hotq-worker: see `hotq-worker --help` and ./_cli.ts.
import { main } from './_cli.js';

await main(process.argv);
