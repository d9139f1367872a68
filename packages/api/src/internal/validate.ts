import type { Request } from 'express';
import type * as z from 'zod';
import { ApiError } from './errors.js';
import type { Operation } from './operations.js';

type Where = 'path' | 'query' | 'body';

/** Most problems one 400 lists. */
const MAX_PROBLEMS = 100;

/** One broken rule: where, which field, what was expected. */
export interface FieldProblem {
  in: Where;
  field: string;
  rule: string;
  /** Where unknown fields were found, when not at the top level (not sent to clients). */
  at?: string;
}

/** A field path as a client writes it: `jobs[3].params`, not `jobs.3.params`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

function problems(error: z.ZodError, where: Where): FieldProblem[] {
  return error.issues.map((issue) => {
    const path = fieldPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((key) => (path ? `${path}.${key}` : key)).join(', ');
      return { in: where, field: keys, rule: issue.message, ...(path ? { at: path } : {}) };
    }
    return { in: where, field: path || where, rule: issue.message };
  });
}

/** Parses a value with a schema, or throws a 400 that names every broken field and its rule. */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: Where): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const found = problems(result.error, where);
  const [first] = found;
  const label = where === 'body' ? '' : `${where === 'path' ? 'path parameter' : 'query parameter'} `;
  // Unknown fields are named in the rule; the message then says where they were (the body, or a
  // batch item such as `jobs[3]`).
  const message = first?.rule.startsWith('unknown')
    ? `${first.at ?? where}: ${first.rule}`
    : `${label}${first?.field ?? where}: ${first?.rule ?? 'is invalid'}`;
  // A batch of 1,000 bad items would list thousands of problems: the first 100 say enough.
  const fields = found.slice(0, MAX_PROBLEMS).map(({ in: place, field, rule }) => ({ in: place, field, rule }));
  throw new ApiError('invalid_request', message, { fields });
}

/** What a request carries once its operation's schemas have accepted it. */
export type Parsed<O extends Operation> =
  O extends Operation<infer P, infer Q, infer B>
    ? { params: z.output<P>; query: z.output<Q>; body: B extends z.ZodType ? z.output<B> : undefined }
    : never;

/** Validates path, query and (already parsed) body of a request against its operation. */
export function parseRequest<O extends Operation>(operation: O, req: Request): Parsed<O> {
  const params = operation.params ? parseOrThrow(operation.params, req.params, 'path') : {};
  // Without a '?' there is no query to parse (Express would parse the empty string on first use).
  const query = operation.query ? parseOrThrow(operation.query, req.url.includes('?') ? singleValues(req.query) : {}, 'query') : {};
  const body = operation.body ? parseOrThrow(operation.body, req.body, 'body') : undefined;
  return { params, query, body } as Parsed<O>;
}

/** A query parameter given twice (`?limit=5&limit=6`) is refused, not resolved by picking one. */
function singleValues(query: unknown): unknown {
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    if (Array.isArray(value)) {
      throw new ApiError('invalid_request', `query parameter ${key}: must be given once`, { fields: [{ in: 'query', field: key, rule: 'must be given once' }] });
    }
  }
  return query;
}
