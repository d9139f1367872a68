// The schedule operations of a TaskQueue (docs/decisions/0019): each is one call of a queue function
// (commands/schedule_*.lua), plus, for cron schedules, a read of Redis's clock to compute due times
// from (the one thing Lua cannot do).
import type { Cluster, Redis } from 'ioredis';
import { InvalidArgumentError, MessageRefusedError } from './errors.js';
import { withTimeout } from './_redis.js';
import { checkInteger } from './_validate.js';
import type { ScriptName } from './_scripts.js';
import { checkSchedule, checkScheduleId, CRON_TIMES_KEPT, cronTimes, hashOf, parseCron, scheduleFromHash } from './_schedule-spec.js';
import type { Schedule, ScheduleRun, ScheduleSpec, SetScheduleResult } from './task-queue-types.js';

/** What the schedule operations need of their TaskQueue. */
export interface ScheduleHost<T> {
  readonly redis: Redis | Cluster;
  readonly base: string;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  encode(payload: T): string;
  decode(text: string): T;
  run(name: ScriptName, args: (string | number)[]): Promise<unknown>;
  /** The stem occurrence ids end with, made to name the schedule's partition. */
  stem(stem: string): string;
}

/** The parts of a stored definition that say when it runs. */
interface StoredTimes {
  cron: string | null;
  tz: string | null;
  endAt: number | null;
}

/** Cron schedules handled per refill call. */
const REFILL_BATCH = 20;

export class Schedules<T> {
  private refilling: Promise<void> | undefined;

  constructor(private readonly host: ScheduleHost<T>) {}

  async set(id: string, spec: ScheduleSpec<T>): Promise<SetScheduleResult<T>> {
    const { host } = this;
    const s = checkSchedule(id, spec, (payload) => host.encode(payload), host.maxAttempts);
    let times = '';
    let complete = '';
    if (s.cron !== null) {
      const now = await this.redisNow();
      // From the later of now and the start; the function drops any that pass before it runs.
      const computed = cronTimes(parseCron(s.cron, s.tz), Math.max(now, (s.startAt ?? 0) - 1), CRON_TIMES_KEPT, s.endAt);
      times = computed.times.join(' ');
      complete = computed.complete ? '1' : '';
    }
    let reply: [string, string[]];
    try {
      reply = (await host.run('schedule_set', [
        s.id, s.definition, host.stem(s.stem), s.payload, s.maxAttempts, s.vars, s.hook, s.priority, s.group,
        s.everyMs ?? '', s.everyMs !== null && s.startAt !== null ? s.startAt : '', s.endAt ?? '', s.limit ?? '',
        s.misfireRuns, s.overlap, times, complete,
      ])) as [string, string[]];
    } catch (error) {
      const refused = /HOTQ_REFUSED \d+ (.*)$/s.exec(String((error as Error).message));
      if (refused) throw new MessageRefusedError(0, refused[1] ?? '', 1);
      throw error;
    }
    return { outcome: reply[0] as SetScheduleResult<T>['outcome'], schedule: this.decode(s.id, reply[1]) as Schedule<T> };
  }

  async get(id: string): Promise<Schedule<T> | null> {
    const checked = checkScheduleId('id', id);
    const flat = await withTimeout(this.host.redis.hgetall(this.key(checked)), this.host.timeoutMs, 'getSchedule');
    return scheduleFromHash(checked, flat, (text) => this.host.decode(text));
  }

  /** The schedules by id, after `after` (exclusive), at most `limit`. Two round trips. */
  async list(options: { limit?: number; after?: string } = {}): Promise<Schedule<T>[]> {
    const { redis, timeoutMs, base } = this.host;
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'an object', options);
    const limit = options.limit === undefined ? -1 : checkInteger('options.limit', options.limit, 1, 100_000);
    const from = options.after === undefined ? '-' : `(${checkScheduleId('options.after', options.after)}`;
    const ids = await withTimeout(redis.zrangebylex(`${base}:schedule-ids`, from, '+', 'LIMIT', 0, limit), timeoutMs, 'listSchedules');
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.key(id));
    const replies = (await withTimeout(pipeline.exec(), timeoutMs, 'listSchedules')) ?? [];
    return ids.flatMap((id, index) => {
      const [error, hash] = replies[index] ?? [null, {}];
      if (error) throw error;
      const schedule = scheduleFromHash(id, hash as Record<string, string>, (text) => this.host.decode(text));
      return schedule ? [schedule] : [];
    });
  }

  async pause(id: string): Promise<Schedule<T> | null> {
    const checked = checkScheduleId('id', id);
    return this.decode(checked, (await this.host.run('schedule_pause', [checked])) as string[]);
  }

  async resume(id: string): Promise<Schedule<T> | null> {
    const checked = checkScheduleId('id', id);
    let version = '';
    let times = '';
    let complete = '';
    const [definitionText, currentVersion] = await this.readFields(checked, ['def', 'ver']);
    const definition = definitionText ? JSON.parse(definitionText) as StoredTimes : null;
    if (definition?.cron) {
      // A paused cron schedule's times may all have passed: computed again from now.
      const now = await this.redisNow();
      const computed = cronTimes(parseCron(definition.cron, definition.tz ?? 'UTC'), now, CRON_TIMES_KEPT, definition.endAt);
      version = currentVersion ?? '';
      times = computed.times.join(' ');
      complete = computed.complete ? '1' : '';
    }
    return this.decode(checked, (await this.host.run('schedule_resume', [checked, version, times, complete])) as string[]);
  }

  async run(id: string): Promise<ScheduleRun | null> {
    const checked = checkScheduleId('id', id);
    const reply = (await this.host.run('schedule_run', [checked])) as string[];
    if (reply.length === 0) return null;
    const [outcome, occurrence, dueAt, refusal] = reply as [ScheduleRun['outcome'], string, string, string];
    return outcome === 'refused' ? { id: occurrence, dueAt: Number(dueAt), outcome, refusal } : { id: occurrence, dueAt: Number(dueAt), outcome };
  }

  async remove(id: string): Promise<boolean> {
    const checked = checkScheduleId('id', id);
    return (await this.host.run('schedule_remove', [checked])) === 1;
  }

  /**
   * Gives cron schedules that asked for more due times (a reserve said so) their next times. Runs
   * once at a time per queue object, in the background; a failure leaves the request in Redis for
   * the next reserve that sees it.
   */
  refillSoon(): void {
    this.refilling ??= this.refill().catch(() => undefined).finally(() => {
      this.refilling = undefined;
    });
  }

  /** Waits for a refill in progress (closing the queue). */
  async settled(): Promise<void> {
    await this.refilling;
  }

  private async refill(): Promise<void> {
    const { redis, timeoutMs, base } = this.host;
    const ids = await withTimeout(redis.srandmember(`${base}:schedule-refill`, REFILL_BATCH), timeoutMs, 'refillSchedules');
    for (const id of ids) {
      const [definitionText, version, from] = await this.readFields(id, ['def', 'ver', 'from']);
      if (!definitionText || !version) {
        // Deleted meanwhile: the function drops the request.
        await this.host.run('schedule_refill', [id, '', '', '']);
        continue;
      }
      const definition = JSON.parse(definitionText) as StoredTimes;
      if (definition.cron === null) continue;
      const after = from ? Number(from) : await this.redisNow();
      const computed = cronTimes(parseCron(definition.cron, definition.tz ?? 'UTC'), after, CRON_TIMES_KEPT, definition.endAt);
      await this.host.run('schedule_refill', [id, version, computed.times.join(' '), computed.complete ? '1' : '']);
    }
  }

  private async readFields(id: string, fields: string[]): Promise<(string | null | undefined)[]> {
    return await withTimeout(this.host.redis.hmget(this.key(id), ...fields), this.host.timeoutMs, 'readSchedule');
  }

  /** Redis's clock in ms: every due time is on it (the functions use TIME). */
  private async redisNow(): Promise<number> {
    // Through a transaction on the queue's slot: on a Cluster that picks the queue's node.
    const reply = await withTimeout(this.host.redis.multi().exists(`${this.host.base}:layout`).time().exec(), this.host.timeoutMs, 'time');
    const [error, time] = reply?.[1] ?? [new Error('no reply to TIME'), null];
    if (error) throw error;
    const [seconds, micros] = time as [string, string];
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  private key(id: string): string {
    return `${this.host.base}:schedule:${id}`;
  }

  private decode(id: string, flat: readonly string[]): Schedule<T> | null {
    return scheduleFromHash(id, hashOf(flat), (text) => this.host.decode(text));
  }
}
