#!/usr/bin/env node
// hotq: the command-line client of the hotq HTTP API (docs/decisions/0012: why it is a bin of @hotq/api).
import { runCli } from './internal/cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
