// A held job's phase is the worker's one state of a job: only HeldJob.moveTo changes it, along the
// documented moves. A move outside them is a bug in the worker, and says which.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { HeldJob, HeldJobs, NEXT_PHASES, type JobPhase } from '../src/_held-job.js';

const PHASES = Object.keys(NEXT_PHASES) as JobPhase[];

function jobAt(path: JobPhase[]): HeldJob {
  const job = new HeldJob({ id: 'j1', token: 't1', attempt: 1, maxAttempts: 3, payload: { type: 'echo', params: {}, timeoutMs: null } }, pino({ level: 'silent' }));
  for (const phase of path) job.moveTo(phase);
  return job;
}

// A way to reach each phase from `running`.
const PATHS: Record<JobPhase, JobPhase[]> = {
  running: [],
  acking: ['acking'],
  'ack-in-flight': ['acking', 'ack-in-flight'],
  failing: ['failing'],
  'handing-back': ['handing-back'],
  ended: ['ended'],
};

describe('the phases of a held job', () => {
  it('starts running, undecided, with its lease renewed by the heartbeat', () => {
    const job = jobAt([]);
    expect(job).toMatchObject({ phase: 'running', decided: false, renewable: true });
  });

  it('allows exactly the documented moves, and names both phases of any other', () => {
    for (const from of PHASES) {
      for (const to of PHASES) {
        const job = jobAt(PATHS[from]);
        const legal = NEXT_PHASES[from].includes(to) || (from === 'ended' && to === 'ended');
        if (legal) {
          job.moveTo(to);
          expect(job.phase).toBe(to);
        } else {
          expect(() => job.moveTo(to), `${from} -> ${to}`).toThrow(`job j1: cannot move from ${from} to ${to}`);
          expect(job.phase).toBe(from);
        }
      }
    }
  });

  it('leaves the lease alone while an ack rides on a reserve call or a hand-back is queued', () => {
    expect(PHASES.filter((phase) => jobAt(PATHS[phase]).renewable)).toEqual(['running', 'acking', 'failing']);
    expect(PHASES.filter((phase) => jobAt(PATHS[phase]).decided)).toEqual(PHASES.filter((phase) => phase !== 'running'));
  });

  it('ends a job when the worker lets it go, keeping a newer lease of the same job held', () => {
    const held = new HeldJobs();
    const old = jobAt([]);
    const newer = jobAt([]);
    held.add(old);
    held.add(newer);
    held.forget(old);
    expect(old.phase).toBe('ended');
    expect(held.holds(newer)).toBe(true);
    expect(held.running()).toEqual(['j1']);
    held.forget(newer);
    expect(held.list()).toEqual([]);
  });
});
