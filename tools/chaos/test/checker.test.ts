// The chaos checker can fail: a commit log read from a real redis-server's append-only file counts a
// doubled completion, and check() reports a doubled commit, a lost job, a job nobody submitted, a
// result from the wrong attempt and a cancellation that did not hold.
import { Redis } from 'ioredis';
import { readCommitLog, startRedisServer } from '@hotq/test-harness';
import { describe, expect, it } from 'vitest';
import { check, type JobRecord, type Observed } from '../src/check.js';
import type { Submitted } from '../src/submit.js';

const BASE = '{hotq:checked}';
const ids = ['01JD5Z3V9Q8W7E6R5T4Y3X2H1A', '01JD5Z3V9Q8W7E6R5T4Y3X2H1B', '01JD5Z3V9Q8W7E6R5T4Y3X2H1C', '01JD5Z3V9Q8W7E6R5T4Y3X2H1D'] as const;

describe('readCommitLog', () => {
  it('counts terminal commits and result writes per job from the append-only file, scripts included', async () => {
    const server = await startRedisServer({ appendonly: true, args: ['--auto-aof-rewrite-percentage', '0'] });
    try {
      const redis = new Redis(server.url);
      // As the hooks do it: inside scripts (written to the file as MULTI ... EXEC with the script's commands).
      const finish = `redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1] .. ':succeeded:echo'); redis.call('SET', KEYS[2], 'j{}', 'PX', 60000); return 1`;
      await redis.eval(finish, 2, `${BASE}:finished`, `${BASE}:result:${ids[0]}`, ids[0], 1);
      await redis.eval(finish, 2, `${BASE}:finished`, `${BASE}:result:${ids[1]}`, ids[1], 2);
      await redis.eval(finish, 2, `${BASE}:finished`, `${BASE}:result:${ids[1]}`, ids[1], 3);
      await redis.zadd(`{hotq:other}:finished`, 1, `${ids[2]}:failed:echo`);
      // A short result sits in the record (field x); other record writes, even with a value 'x', are not results.
      await redis.hset(`${BASE}:job:${ids[3]}`, 's', 'succeeded', 'x', 'j1');
      await redis.hset(`${BASE}:job:${ids[2]}`, 's', 'running', 'w', 'x');
      redis.disconnect();
      await server.stop();
      const log = readCommitLog(server.dir, BASE);
      expect(log.finished.get(ids[0])).toEqual(['succeeded']);
      expect(log.finished.get(ids[1])).toEqual(['succeeded', 'succeeded']);
      expect(log.finished.has(ids[2])).toBe(false);
      expect(log.results.get(ids[1])).toBe(2);
      expect(log.results.get(ids[3])).toBe(1);
      expect(log.results.has(ids[2])).toBe(false);
      expect(log.truncated).toBe(false);
    } finally {
      await server.dispose();
    }
  });
});

describe('check', () => {
  const record = (id: string, status: string, attempts: number): JobRecord => ({ id, type: 'quick', status, attempts, maxAttempts: 5, startedAt: null, finishedAt: null, error: null });
  const clean = (): { jobs: Submitted[]; seen: Observed } => ({
    jobs: [{ id: ids[0], kind: 'quick', maxAttempts: 5 }, { id: ids[1], kind: 'cancel', maxAttempts: 5, cancel: { status: 200, ambiguous: false, deleted: false } }],
    seen: {
      records: new Map([[ids[0], record(ids[0], 'succeeded', 1)], [ids[1], record(ids[1], 'cancelled', 0)]]),
      results: new Map([[ids[0], { attempt: 1 }]]),
      stats: {
        counts: { waiting: 0, queued: 0, delayed: 0, running: 0, succeeded: 1, failed: 0, cancelled: 1 },
        queue: { ready: 0, delayed: 0, leased: 0, dead: 0 },
        throughput: { totals: { put: 2, acked: 1, retried: 0, dead: 0, expired: 0, released: 0 } },
      },
      commits: { finished: new Map([[ids[0], ['succeeded']], [ids[1], ['cancelled']]]), results: new Map([[ids[0], 1]]), commands: 10, files: ['f'], truncated: false },
      events: new Map([[ids[0], ['succeeded']], [ids[1], ['cancelled']]]),
      runs: new Map([[ids[0], 1]]),
    },
  });

  it('passes a clean run', () => {
    const { jobs, seen } = clean();
    expect(check(jobs, seen).misses).toEqual([]);
  });

  it('reports a doubled commit, a lost job, a job nobody submitted, the wrong attempt, and a cancellation that did not hold', () => {
    const { jobs, seen } = clean();
    seen.commits.finished.set(ids[0], ['succeeded', 'succeeded']);
    seen.commits.results.set(ids[0], 2);
    seen.results.set(ids[0], { attempt: 2 });
    jobs.push({ id: ids[2], kind: 'quick', maxAttempts: 5 });
    seen.records.set(ids[3], record(ids[3], 'succeeded', 1));
    seen.records.set(ids[1], record(ids[1], 'succeeded', 1));
    const misses = check(jobs, seen).misses.join('\n');
    expect(misses).toContain(`job ${ids[0]} (quick) has 2 terminal commits`);
    expect(misses).toContain(`had its result written 2 times`);
    expect(misses).toContain(`committed the result of attempt 2 but shows 1 attempts`);
    expect(misses).toContain(`job ${ids[2]} (quick) was accepted but does not exist`);
    expect(misses).toContain(`job ${ids[3]} exists but was never accepted`);
    expect(misses).toContain(`job ${ids[1]} was cancelled (200) but ended succeeded`);
  });

  it('reports a job whose end was published twice, or with two statuses; on a cluster only the two statuses', () => {
    const { jobs, seen } = clean();
    seen.events.set(ids[0], ['succeeded', 'succeeded']);
    seen.events.set(ids[1], ['cancelled', 'failed']);
    const misses = check(jobs, seen).misses.join('\n');
    expect(misses).toContain(`job ${ids[0]} published 2 terminal events`);
    expect(misses).toContain(`job ${ids[1]} published terminal events of different statuses: cancelled, failed`);
    // A cluster subscriber may receive a message again after a node restarts: the same status twice
    // is the observer's repeat, while two different ends stay a miss.
    seen.eventsMayRepeat = true;
    const onCluster = check(jobs, seen);
    expect(onCluster.misses.join('\n')).not.toContain(`job ${ids[0]} published`);
    expect(onCluster.misses.join('\n')).toContain(`job ${ids[1]} published terminal events of different statuses`);
    expect(onCluster.report.join('\n')).toContain('pub/sub terminal events per job: 2: 2');
  });

  it('accepts a job its DELETE found over and deleted, when it had ended exactly once', () => {
    const { jobs, seen } = clean();
    jobs[1]!.cancel = { status: 200, ambiguous: true, deleted: true };
    seen.records.delete(ids[1]);
    const passed = check(jobs, seen);
    expect(passed.misses).toEqual([]);
    expect(passed.report[0]).toBe('submitted 2 = succeeded 1 + failed 0 + cancelled 0 + deleted once over 1 (2)');
    seen.commits.finished.delete(ids[1]);
    expect(check(jobs, seen).misses.join('\n')).toContain(`deleted job ${ids[1]} (cancel) has 0 terminal commits`);
  });

  it('reports a link that started before the job it waits on finished, or ran although that one failed', () => {
    const { jobs, seen } = clean();
    jobs.push({ id: ids[2], kind: 'link', maxAttempts: 5, after: ids[0] }, { id: ids[3], kind: 'link', maxAttempts: 5, after: ids[1] });
    seen.records.set(ids[0], { ...record(ids[0], 'succeeded', 1), finishedAt: '2026-01-01T00:00:02.000Z' });
    seen.records.set(ids[2], { ...record(ids[2], 'succeeded', 1), startedAt: '2026-01-01T00:00:01.000Z' });
    seen.records.set(ids[3], record(ids[3], 'succeeded', 1));
    const misses = check(jobs, seen).misses.join('\n');
    expect(misses).toContain(`job ${ids[2]} started at 2026-01-01T00:00:01.000Z before ${ids[0]}, which it waits on, finished at 2026-01-01T00:00:02.000Z`);
    expect(misses).toContain(`job ${ids[3]} waited on ${ids[1]}, which ended cancelled, but it ended succeeded`);
  });

  it('reports two occurrences of the schedule for one due time, and too few occurrences', () => {
    const { jobs, seen } = clean();
    const schedule = { id: 'tick', dueAt: '2026-01-01T00:00:00.000Z' };
    seen.records.set(ids[2], { ...record(ids[2], 'succeeded', 1), schedule });
    seen.records.set(ids[3], { ...record(ids[3], 'succeeded', 1), schedule });
    seen.scheduleLifeMs = 10_000;
    const misses = check(jobs, seen).misses.join('\n');
    expect(misses).toContain('two occurrences of schedule tick are due at 2026-01-01T00:00:00.000Z');
    expect(misses).toContain('the schedule lived 10.0 s at one occurrence a second but made 2');
    expect(misses).not.toContain('exists but was never accepted');
  });
});
