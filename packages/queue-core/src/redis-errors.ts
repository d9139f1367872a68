import { QueueError } from './errors.js';

/**
 * Error replies and connection errors that mean "Redis cannot serve this right now": unreachable, a
 * server still loading its data, a replica that cannot take writes (a failover in progress), a
 * cluster that is resharding or down, a server out of memory or busy with a long script. Worth
 * retrying the same call later; never the caller's fault. A cluster redirection (`MOVED`, `ASK`)
 * reaches the caller only when the client could not follow it (the node that holds the slot is
 * down or restarting: ioredis reports "Too many Cluster redirections"), nor the cluster's slot map
 * be read: the command did not run. A pipeline that ioredis aborted because its connection closed
 * before the replies came ("Command aborted due to connection close") may or may not have run, like a
 * call that timed out: hotq's writes are idempotent or fenced, so it is retried like one.
 */
const UNAVAILABLE = /Connection is closed|Command aborted due to connection close|Stream isn't writeable|Cluster isn't ready|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|^LOADING|^READONLY|^MISCONF|^MASTERDOWN|^OOM |OOM command not allowed|^BUSY |^TRYAGAIN|^CLUSTERDOWN|^MOVED \d+ |^ASK \d+ |Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available/;
const UNAVAILABLE_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/;

/**
 * Whether `error` says Redis is unreachable or cannot serve the call right now (the one rule every
 * hotq package uses): a {@link RedisUnavailableError}, a connection error, or one of the replies
 * `LOADING`, `READONLY`, `MASTERDOWN`, `TRYAGAIN`, `CLUSTERDOWN`, `BUSY`, `MISCONF`, `OOM`, or a
 * cluster redirection the client could not follow (`MOVED`, `ASK`: the slot's node is away). Such a
 * call may be retried later; any other error would fail the same way again.
 * @public
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof QueueError) return error.code === 'redis_unavailable';
  if (!(error instanceof Error)) return false;
  const { code } = error as { code?: unknown };
  if (code === 'redis_unavailable') return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) return true;
  if (UNAVAILABLE.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isRedisUnavailable(error.cause);
}
