import type { ProvidedContext } from 'vitest';

// Tests read the run's Redis URL with `inject('redisUrl')`; this teaches vitest its type.
declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** What the global setup provides to every test of a run. */
export type RedisUrlContext = Pick<ProvidedContext, 'redisUrl'>;
