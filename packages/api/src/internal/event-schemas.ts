// The data of GET /events's `changes` event (docs/decisions/0022), for the OpenAPI document and the tests.
import * as z from 'zod';
import 'zod-openapi';
import { Job, JobId, JobStatus, Stats } from './schemas.js';

export const JobSummary = Job.omit({ params: true }).meta({ id: 'JobSummary', description: 'A job as lists show it: the job object without its params.' });

export const QueueChanges = z
  .object({
    jobs: z.array(JobSummary).meta({ description: 'The newest jobs (at most 50) that were created or changed status since the last event, as they are now; newest first.' }),
    more: z.array(z.object({ id: JobId, status: JobStatus })).meta({ description: 'The other jobs that changed, with their new status only (a busy queue); newest first.' }),
    dropped: z.int().min(0).meta({ description: 'Changes past the 10,000 distinct jobs kept per event, only counted: a list that must be exact reads again.' }),
    counts: Stats.shape.counts,
  })
  .meta({ id: 'QueueChanges', description: 'The data of an `event: changes` message of GET /events.' });
