import { randomBytes } from 'node:crypto';

/** A short name no other test in this run will use, for queue names and key prefixes. */
export function uniqueName(label = 't'): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}
