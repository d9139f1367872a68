// The zod schemas of the routes for operators: deleting finished jobs, bulk actions, pausing the
// queue, tags and time filters. As schemas.ts, they validate requests and describe them in the
// OpenAPI document.
import * as z from 'zod';
import 'zod-openapi';
import { IsoTime, Tag } from './filter-schemas.js';
import { JobId, JobStatus, JobType, OBJECT_ERRORS } from './schemas.js';

export const Deleted = z
  .object({ id: JobId, deleted: z.literal(true) })
  .meta({ id: 'DeletedJob', description: 'A finished job that was deleted for good (record, params, result, index entries).' });

export const PauseState = z
  .object({ paused: z.boolean().meta({ description: 'Whether workers are held back from taking jobs.' }) })
  .meta({ id: 'PauseState' });

/** The body of POST /jobs/retry, /jobs/cancel and /jobs/delete: a filter, and whether to only count. */
export const BulkBody = z
  .strictObject(
    {
      status: JobStatus.optional().meta({ description: 'Only jobs in this status.' }),
      type: JobType.optional().meta({ description: 'Only jobs of this type.' }),
      tag: Tag.optional().meta({ description: 'Only jobs with this tag.' }),
      createdBefore: IsoTime.optional().meta({ description: 'Only jobs created before this time (ISO-8601).' }),
      finishedBefore: IsoTime.optional().meta({ description: 'Only finished jobs that finished before this time (ISO-8601).' }),
      all: z.boolean({ error: 'must be true or false' }).optional()
        .meta({ description: 'Required (true) when no other field narrows the filter: the action looks at every job.' }),
      dryRun: z.boolean({ error: 'must be true or false' }).optional()
        .meta({ description: 'Only count: `changed` says how many would change. Default false.' }),
    },
    OBJECT_ERRORS,
  )
  .meta({
    id: 'BulkFilter',
    description: 'Which jobs to act on: every field given must hold. An empty filter is refused (400) unless `all` is true. Jobs submitted after the action started are left alone.',
  });

const SKIP_REASONS = ['not_finished', 'not_failed_or_cancelled', 'finished', 'changed_meanwhile', 'queue_full'] as const;

export const BulkResult = z
  .object({
    matched: z.int().min(0).meta({ description: 'Jobs that fit the filter.' }),
    changed: z.int().min(0).meta({ description: 'Jobs deleted, queued again, cancelled or asked to stop (with dryRun: that would be).' }),
    skipped: z
      .object({
        count: z.int().min(0),
        reasons: z.partialRecord(z.enum(SKIP_REASONS), z.int().min(1)).meta({
          description: 'Skipped jobs by reason: `not_finished` (delete: queued, delayed or running), `not_failed_or_cancelled` (retry), '
            + '`finished` (cancel), `changed_meanwhile` (its status moved between the look and the action), `queue_full` (retry: the queue is at its maximum).',
        }),
      })
      .meta({ description: 'Jobs that fit the filter and were left alone: matched = changed + skipped.count.' }),
    dryRun: z.boolean(),
  })
  .meta({ id: 'BulkResult' });
