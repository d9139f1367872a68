import { InvalidArgumentError } from './errors.js';

// Names become parts of Redis keys: no braces (hash tags), no spaces, nothing that could address
// another key.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function checkName(argument: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidArgumentError(
      argument,
      'a non-empty string of at most 128 letters, digits, ".", "_" or "-", starting with a letter or digit',
      value,
    );
  }
  return value;
}

export function checkMessageId(argument: string, value: unknown): string {
  if (typeof value !== 'string' || !MESSAGE_ID.test(value)) {
    throw new InvalidArgumentError(argument, 'a string of 1 to 128 letters, digits, "_" or "-"', value);
  }
  return value;
}

export function checkInteger(argument: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(argument, `an integer ${range}`, value);
  }
  return value;
}

export function checkVars(argument: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, 'an object of string values', value);
  }
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== 'string') throw new InvalidArgumentError(`${argument}.${key}`, 'a string', item);
  }
  return value as Record<string, string>;
}

export function checkHookName(argument: string, value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || !/^[a-z][A-Za-z0-9_]{0,63}$/.test(value)) {
    throw new InvalidArgumentError(argument, 'the name of a hook (letters, digits, "_")', value);
  }
  return value;
}

// A limit scope: `queue`, or `<kind>:<name>` (type and tag names of jobs-store fit; no spaces, which
// separate the scopes of a message's group in Redis).
const SCOPE = /^[a-z][a-z0-9_]{0,31}:[A-Za-z0-9_.:@-]{1,64}$/;
const MAX_SCOPES = 9;

function isScope(value: unknown, allowQueue: boolean): value is string {
  return typeof value === 'string' && (SCOPE.test(value) || (allowQueue && value === 'queue'));
}

export function checkScope(argument: string, value: unknown, allowQueue: boolean): string {
  if (!isScope(value, allowQueue)) {
    const forms = allowQueue ? '"queue" or ' : '';
    throw new InvalidArgumentError(argument, `${forms}"<kind>:<name>" (kind [a-z][a-z0-9_]*, name 1 to 64 of [A-Za-z0-9_.:@-])`, value);
  }
  return value;
}

/** A message's scopes as its group: sorted and unique, so that the same scopes make the same group. */
export function checkScopes(argument: string, value: unknown): string {
  if (value === undefined) return '';
  if (!Array.isArray(value) || value.length > MAX_SCOPES) {
    throw new InvalidArgumentError(argument, `an array of at most ${MAX_SCOPES} scopes`, value);
  }
  // Checked in place, the label made only for a refusal: this runs for every job put.
  for (let index = 0; index < value.length; index += 1) {
    const scope: unknown = value[index];
    if (!isScope(scope, false)) checkScope(`${argument}[${index}]`, scope, false);
  }
  const scopes = value as string[];
  if (scopes.length === 1) return scopes[0] as string;
  return [...new Set(scopes)].sort().join(' ');
}

/** The most dependencies one message may name. */
export const MAX_DEPENDENCIES = 1_000;

/** A message's dependencies as the put function takes them: unique ids joined by spaces ('' none). */
export function checkDependencies(argument: string, value: unknown, id: string): string {
  if (value === undefined) return '';
  if (!Array.isArray(value) || value.length > MAX_DEPENDENCIES) {
    throw new InvalidArgumentError(argument, `an array of at most ${MAX_DEPENDENCIES} message ids`, value);
  }
  const ids = value.map((dep, index) => checkMessageId(`${argument}[${index}]`, dep));
  const self = ids.indexOf(id);
  if (self >= 0) throw new InvalidArgumentError(`${argument}[${self}]`, 'the id of another message (a message cannot depend on itself)', id);
  return [...new Set(ids)].join(' ');
}

/** What a failed dependency does: 'r' (run anyway) or '' (fail, the default). */
export function checkDependencyPolicy(argument: string, value: unknown): string {
  if (value === undefined || value === 'fail') return '';
  if (value === 'run') return 'r';
  throw new InvalidArgumentError(argument, '"fail" or "run"', value);
}
