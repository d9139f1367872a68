/**
 * Job records on Redis: an atomic, fenced lifecycle, queries, results, events and retention.
 * @packageDocumentation
 */
export { JobsStore } from './jobs-store.js';
export { JobsStoreError, JobInputError, JobNotFoundError, JobStateError } from './errors.js';
export { isJobId } from './job-id.js';
export { JOB_STATUSES } from './job-types.js';
export type { BytesResult, DependencyOutcome, Job, JobError, JobEvent, JobMessage, JobResult, JobStatus, SubmitInput } from './job-types.js';
export type { HookVars, JobPage, JobsStoreOptions, ListQuery, PreparedRetry, PreparedSubmission } from './jobs-store-types.js';
export type { WorkerInfo } from './worker-info.js';
export type { QueueChange } from './queue-change.js';
export type { JobSchedule, ScheduledJobInput, ScheduleInput } from './schedule-types.js';
export type { BulkFilter, BulkOptions, BulkResult, BulkSkipReason } from './bulk-types.js';
