import type { JobStatus } from './job-types.js';

/**
 * What {@link JobsStore.watchQueue} reports: a job of the queue moved to `status` (or was created
 * with it, when its creation was announced with {@link JobsStore.announceCreated}); or `resync`:
 * the subscription was cut and reconnected, so changes may have been missed and whatever the
 * listener shows should be read again.
 * @public
 */
export type QueueChange = { kind: 'status'; id: string; status: JobStatus } | { kind: 'resync' };
