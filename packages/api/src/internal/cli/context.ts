import type { ApiClient } from './client.js';

/** What every command gets: the API client and where and how to write. */
export interface Context {
  client: ApiClient;
  /** `--json`: machine-readable output on stdout, nothing else there. */
  json: boolean;
  /** stdout is a terminal: tables, a progress bar; otherwise plain lines. */
  tty: boolean;
  out(text: string): void;
  err(text: string): void;
  /** One JSON document: pretty on a terminal, one line in a pipe (for jq and line-based tools). */
  printJson(value: unknown): void;
}

export function createContext(client: ApiClient, json: boolean): Context {
  const tty = process.stdout.isTTY === true;
  const out = (text: string): void => void process.stdout.write(text);
  return {
    client,
    json,
    tty,
    out,
    err: (text) => void process.stderr.write(text),
    printJson: (value) => out(`${JSON.stringify(value, null, tty ? 2 : undefined)}\n`),
  };
}
