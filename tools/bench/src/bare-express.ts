/*
 * The ceiling of the HTTP stack for the HTTP phase: a bare Express 5 app in a process of its own that
 * parses a JSON body (the same submission POST /jobs gets) and answers 201 with a small JSON body.
 * No Redis, no validation, no logging, no metrics: what any Express route costs on this machine.
 * Prints `listening on http://HOST:PORT` like hotq-api; ends on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.use(express.json({ limit: '1mb' }));
let count = 0;
app.post('/jobs', (req, res) => {
  count += 1;
  const body = req.body as { type?: unknown };
  res.status(201).json({ id: String(count).padStart(26, '0'), type: body.type, status: 'queued' });
});
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
