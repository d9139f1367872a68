import { ApiError, isRedisUnavailable } from './errors.js';

/**
 * Bounds one Redis call: when Redis does not answer within `ms`, or the connection is down, the
 * request gets a 503 instead of hanging. Every write hotq sends is idempotent or fenced, so a
 * command that still reaches Redis after the deadline cannot apply twice.
 */
export function createRedisCall(ms: number): <T>(work: Promise<T>, what: string) => Promise<T> {
  return async <T>(work: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError('redis_unavailable', `Redis did not answer (${what}) within ${ms} ms; try again shortly`)), ms);
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      throw redisUnavailableAs503(error, what);
    } finally {
      clearTimeout(timer);
      // A call that loses the race may still reject later; that must not become an unhandled rejection.
      work.catch(() => {});
    }
  };
}

/**
 * The error side of {@link createRedisCall} alone, for calls that bound their own wait: a TaskQueue
 * put is given the app's command timeout, so a second deadline (a timer per submission) would only
 * repeat it. An unreachable or silent Redis becomes a 503; anything else is passed on as it is.
 */
export function redisUnavailableAs503(error: unknown, what: string): unknown {
  if (!(error instanceof ApiError) && isRedisUnavailable(error)) {
    return new ApiError('redis_unavailable', `Redis is unavailable (${what}); try again shortly`);
  }
  return error;
}
