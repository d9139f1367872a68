import type { BulkFilter, BulkOptions, BulkResult, BulkSkipReason } from './bulk-types.js';
import { JobInputError } from './errors.js';
import { firstIdAt } from './_id-range.js';
import { checkKnownFields, checkStatus, checkTag, checkTime, checkType, describe, isPlainObject } from './_validate.js';

/**
 * Index entries one bulk step examines at most: 100, so that one script call (and the
 * queue call that follows it for a retry or a cancel) holds Redis for a few milliseconds only.
 */
export const BULK_BATCH = 100;

/** The pause between two steps of a bulk action, in ms. */
export const BULK_PAUSE_MS = 2;

const FILTER_FIELDS = ['status', 'type', 'tag', 'createdBefore', 'finishedBefore', 'all'] as const;

/** A bulk filter, checked, as the bulk script's arguments (after the cursor). */
export interface BulkArgs {
  /** The highest id the walk looks at, as a ZRANGEBYLEX bound. */
  max: string;
  status: string;
  type: string;
  tag: string;
  finishedBefore: string;
}

/** Checks a filter (nothing is written) and turns it into the bulk script's arguments. */
export function bulkArgs(filter: unknown, options: unknown): { args: BulkArgs; dryRun: boolean } {
  if (!isPlainObject(filter)) throw new JobInputError('filter', `must be an object (received ${describe(filter)})`);
  checkKnownFields(filter, FILTER_FIELDS);
  const f = filter as BulkFilter;
  const status = f.status === undefined ? '' : checkStatus('status', f.status);
  const type = f.type === undefined ? '' : checkType('type', f.type);
  const tag = f.tag === undefined ? '' : checkTag('tag', f.tag);
  const createdBefore = f.createdBefore === undefined ? undefined : checkTime('createdBefore', f.createdBefore);
  const finishedBefore = f.finishedBefore === undefined ? '' : String(checkTime('finishedBefore', f.finishedBefore));
  if (f.all !== undefined && typeof f.all !== 'boolean') throw new JobInputError('all', `must be true or false (received ${describe(f.all)})`);
  const narrowed = status !== '' || type !== '' || tag !== '' || createdBefore !== undefined || finishedBefore !== '';
  if (!narrowed && f.all !== true) {
    throw new JobInputError('all', 'the filter is empty: give status, type, tag, createdBefore or finishedBefore, or all: true to act on every job');
  }
  if (!isPlainObject(options)) throw new JobInputError('options', `must be an object (received ${describe(options)})`);
  checkKnownFields(options, ['dryRun'], 'options.');
  const { dryRun = false } = options as BulkOptions;
  if (typeof dryRun !== 'boolean') throw new JobInputError('options.dryRun', `must be true or false (received ${describe(dryRun)})`);
  // Jobs submitted after the action started are left alone, which also bounds the walk.
  const until = Math.min(createdBefore ?? Number.POSITIVE_INFINITY, Date.now() + 1);
  return { args: { max: `(${firstIdAt(until)}`, status, type, tag, finishedBefore }, dryRun };
}

/** One step's answer from the bulk script. */
export interface BulkStep {
  cursor: string;
  matched: number;
  applied: number;
  skipped: Array<[BulkSkipReason, number]>;
  ids: string[];
}

export function toBulkStep(reply: unknown): BulkStep {
  const [cursor, matched, applied, flat, ids] = reply as [string, number, number, Array<string | number>, string[]];
  const skipped: Array<[BulkSkipReason, number]> = [];
  for (let index = 0; index + 1 < flat.length; index += 2) skipped.push([flat[index] as BulkSkipReason, Number(flat[index + 1])]);
  return { cursor, matched: Number(matched), applied: Number(applied), skipped, ids };
}

/** Adds up the steps of one bulk action. */
export class BulkTally {
  matched = 0;
  changed = 0;
  private readonly reasons: Partial<Record<BulkSkipReason, number>> = {};

  constructor(private readonly dryRun: boolean) {}

  skip(reason: BulkSkipReason, count: number): void {
    if (count > 0) this.reasons[reason] = (this.reasons[reason] ?? 0) + count;
  }

  step(step: BulkStep): void {
    this.matched += step.matched;
    this.changed += step.applied;
    for (const [reason, count] of step.skipped) this.skip(reason, count);
  }

  result(): BulkResult {
    const count = Object.values(this.reasons).reduce((sum, n) => sum + (n ?? 0), 0);
    return { matched: this.matched, changed: this.changed, skipped: { count, reasons: { ...this.reasons } }, dryRun: this.dryRun };
  }
}
