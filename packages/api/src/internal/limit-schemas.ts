// The zod schemas of the /limits routes: rate limits and global concurrency per queue, job type or
// tag (docs/decisions/0015). The ranges are the library's (TaskQueue.setLimit), so the API refuses
// exactly what the library would, with the field named.
import * as z from 'zod';
import 'zod-openapi';
import { Tag } from './filter-schemas.js';
import { integer, JobType, LimitUsage, OBJECT_ERRORS } from './schemas.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** The library's most starts per window and most leases at once. */
const MAX_LIMIT = 100_000;

const Rate = z
  .strictObject(
    {
      count: integer(1, MAX_LIMIT, 'At most this many starts in any window of perMs.'),
      perMs: integer(1, DAY_MS, 'The window, in ms (a sliding window: no burst at its edges).'),
    },
    OBJECT_ERRORS,
  )
  .meta({ id: 'Rate', description: 'At most `count` starts in any window of `perMs` ms, across every worker.' });

export const LimitBody = z
  .strictObject(
    {
      rate: Rate.optional(),
      concurrency: integer(1, MAX_LIMIT, 'At most this many jobs of the scope running at once, across every worker.').optional(),
    },
    OBJECT_ERRORS,
  )
  .refine((limit) => limit.rate !== undefined || limit.concurrency !== undefined, {
    error: 'give rate, concurrency or both',
  })
  .meta({ id: 'LimitSpec', description: 'A limit replaces the scope\'s previous one as a whole: a field left out is no longer limited.' });

export const TypeParams = z.strictObject({ type: JobType });
export const TagParams = z.strictObject({ tag: Tag });

export const LimitList = z.object({ limits: z.array(LimitUsage).meta({ description: 'By scope.' }) }).meta({ id: 'LimitList' });

export const LimitRemoved = z
  .object({ scope: z.string(), removed: z.boolean().meta({ description: 'false when the scope had no limit (nothing changed).' }) })
  .meta({ id: 'LimitRemoved' });
