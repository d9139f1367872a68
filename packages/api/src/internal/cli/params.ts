import { readFile } from 'node:fs/promises';
import { usage } from './client.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The `--params` of `hotq submit`: JSON text, `@path` (a file) or `-` (standard input). The value
 * must be a JSON object; anything else is a usage error that says what was found.
 */
export async function readParams(spec: string | undefined): Promise<Record<string, unknown> | undefined> {
  if (spec === undefined) return undefined;
  let text: string;
  let source: string;
  if (spec === '-') {
    text = await readStdin();
    source = 'standard input';
  } else if (spec.startsWith('@')) {
    source = spec.slice(1);
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw usage(`--params @${source}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  } else {
    text = spec;
    source = 'the argument';
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw usage(`--params: ${source} is not valid JSON (${(error as Error).message}); give a JSON object such as '{"text":"hello"}'`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usage(`--params must be a JSON object (got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value} from ${source})`);
  }
  return value as Record<string, unknown>;
}
