import { describe, expect, it } from 'vitest';
import { demoHandlers, NonRetryableError, type HandlerContext, type HandlerJob } from '../src/index.js';

const noop = (): void => {};
function run(type: string, params: Record<string, unknown>, signal = new AbortController().signal): Promise<unknown> {
  const job: HandlerJob = { id: '01J0000000000000000000000', type, params, attempt: 1, maxAttempts: 3, timeoutMs: null };
  const log = { trace: noop, debug: noop, info: noop, warn: noop, error: noop };
  const ctx: HandlerContext = { signal, progress: async () => {}, log, attempt: 1, dependencies: async () => [] };
  return Promise.resolve().then(() => (demoHandlers[type] as NonNullable<(typeof demoHandlers)[string]>)(job, ctx));
}

describe('demo handlers', () => {
  it('echo returns its params', async () => {
    expect(await run('echo', { a: 1, b: ['x'] })).toEqual({ a: 1, b: ['x'] });
  });

  it('sleep waits and answers { slept }, and stops when its signal aborts', async () => {
    const started = Date.now();
    expect(await run('sleep', { ms: 50 })).toEqual({ slept: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    const controller = new AbortController();
    const pending = run('sleep', { ms: 10_000 }, controller.signal);
    controller.abort(new Error('stop now'));
    await expect(pending).rejects.toThrow('stop now');
  });

  it('fail throws its message (retryable), or a default one', async () => {
    const error = await run('fail', { message: 'boom' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toBe('boom');
    await expect(run('fail', {})).rejects.toThrow('failed on purpose');
  });

  it('wordcount counts words, distinct words, and the 10 most frequent (ties alphabetically)', async () => {
    const text = "The cat and the hat. THE END, the end! Don't stop; well-known words: a b c d e f g h";
    const result = (await run('wordcount', { text })) as { words: number; unique: number; top: Array<[string, number]> };
    expect(result.words).toBe(21);
    expect(result.top[0]).toEqual(['the', 4]);
    expect(result.top[1]).toEqual(['end', 2]);
    expect(result.top).toHaveLength(10);
    expect(result.top.slice(2, 5)).toEqual([['a', 1], ['and', 1], ['b', 1]]);
    expect(result.unique).toBe(17);
    expect(await run('wordcount', { text: '' })).toEqual({ words: 0, unique: 0, top: [] });
    const unicode = (await run('wordcount', { text: 'Ünïcode ünïcode 東京' })) as { top: Array<[string, number]> };
    expect(unicode.top).toEqual([['ünïcode', 2], ['東京', 1]]);
  });

  it('stats computes count, mean, median, sample stdev, min and max', async () => {
    expect(await run('stats', { values: [2, 4, 4, 4, 5, 5, 7, 9] })).toEqual({
      count: 8, mean: 5, median: 4.5, stdev: Math.sqrt(32 / 7), min: 2, max: 9,
    });
    expect(await run('stats', { values: [3, 1, 2] })).toMatchObject({ median: 2, min: 1, max: 3, stdev: 1 });
    expect(await run('stats', { values: [42] })).toEqual({ count: 1, mean: 42, median: 42, stdev: 0, min: 42, max: 42 });
  });

  it('refuses bad params with a non-retryable error that names the parameter', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['sleep', { ms: 'soon' }, /sleep: params\.ms must be an integer/],
      ['sleep', { ms: -1 }, /params\.ms/],
      ['sleep', {}, /params\.ms/],
      ['sleep', { ms: 1, extra: true }, /unknown parameter "extra"/],
      ['fail', { message: 42 }, /params\.message must be a non-empty string/],
      ['wordcount', { text: 7 }, /params\.text must be a string/],
      ['stats', { values: [] }, /non-empty array/],
      ['stats', { values: [1, 'two'] }, /params\.values\[1\] must be a finite number/],
      ['stats', { values: [1, null] }, /params\.values\[1\]/],
    ];
    for (const [type, params, message] of cases) {
      const error = await run(type, params).catch((e: unknown) => e);
      expect(error, `${type} ${JSON.stringify(params)}`).toBeInstanceOf(NonRetryableError);
      expect((error as NonRetryableError).code).toBe('invalid_params');
      expect((error as Error).message).toMatch(message);
    }
  });
});
