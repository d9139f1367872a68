// Schemas of the operators' fields that the core schemas use too (a submission's tags, the time
// filters of GET /jobs), kept apart so that schemas.ts and operator-schemas.ts both import them.
import * as z from 'zod';
import 'zod-openapi';

export const MAX_TAGS = 8;
const TAG_RULE = 'must be 1 to 64 letters, digits, "_", ".", ":", "@" or "-"';

export const Tag = z
  .string({ error: TAG_RULE })
  .regex(/^[A-Za-z0-9_.:@-]{1,64}$/, { error: TAG_RULE })
  .meta({ id: 'Tag', description: 'A tag: 1 to 64 of `[A-Za-z0-9_.:@-]`, such as a customer or an order id.', example: 'customer:42' });

export const Tags = z
  .array(Tag, { error: `must be an array of at most ${MAX_TAGS} tags` })
  .max(MAX_TAGS, { error: `must be an array of at most ${MAX_TAGS} tags` })
  .meta({
    description: `Up to ${MAX_TAGS} distinct tags; GET /jobs?tag= finds the jobs of a tag. Only tagged jobs pay for the index.`,
    override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
      jsonSchema.uniqueItems = true;
    },
  });

const TIME_RULE = 'must be an ISO-8601 date or date-time with a zone, e.g. 2026-01-31T12:00:00Z';

/** A time in a query or a filter: an ISO-8601 date (UTC midnight) or date-time with Z or an offset. */
export const IsoTime = z
  .string({ error: TIME_RULE })
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/, { error: TIME_RULE })
  .meta({ description: 'An ISO-8601 date-time (with Z or an offset) or date (UTC midnight), from 1970 to 9999.', example: '2026-01-31T12:00:00Z' });
