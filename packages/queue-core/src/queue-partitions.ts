import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';
import { SLOTS, tagSlot } from './_slot.js';
import { checkName } from './_validate.js';

/**
 * The most partitions a queue may have: a job id names its partition in two base32 characters.
 * @public
 */
export const MAX_PARTITIONS = 1024;

/** Crockford's base32, the alphabet of ULIDs. */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_PARTITION_KEY = 128;
const PARTITION_KEY = /^[\x20-\x7e]+$/;

/** Key bases already chosen, by prefix, queue and count: the search below is done once per process. */
const chosen = new Map<string, readonly string[]>();

/**
 * The hash tags of `count` partitions: partition i gets `<prefix>:<queue>:p<i>-<salt>`, the first
 * salt (0, 1, 2, ...) whose slot falls in the middle half of the i-th of `count` equal slices of the
 * slot space. Masters that own equal ranges of slots (as `redis-cli --cluster create` gives them)
 * then hold equal numbers of partitions whenever `count` is a multiple of the number of masters,
 * and a slice's edge never sits on the border between two masters. Deterministic: every process
 * finds the same tags. Queue names hold no `:`, so no other queue's key base can equal one.
 */
function partitionTags(prefix: string, queue: string, count: number): readonly string[] {
  const cacheKey = `${prefix}\n${queue}\n${count}`;
  const cached = chosen.get(cacheKey);
  if (cached) return cached;
  const slice = SLOTS / count;
  const tags: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const low = index * slice + slice / 4;
    const high = index * slice + (3 * slice) / 4;
    for (let salt = 0; ; salt += 1) {
      const tag = `${prefix}:${queue}:p${index}-${salt}`;
      const slot = tagSlot(tag);
      if (slot >= low && slot < high) {
        tags.push(tag);
        break;
      }
    }
  }
  chosen.set(cacheKey, tags);
  return tags;
}

/** FNV-1a (32 bits) of the key's UTF-8 bytes: a stable spread of partition keys. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * How one logical queue is split into partitions, shared by every process of the queue (the
 * `TaskQueue`, the job store, the API, the workers): each partition's hash tag, which partition a job
 * id names, and which partition a submission goes to.
 *
 * - **One partition** (the default) is the queue as it always was: key base `{prefix:queue}`, ids as
 *   they come.
 * - **P partitions** (2 to {@link MAX_PARTITIONS}): partition i's keys share the hash tag
 *   `{prefix:queue:p<i>-<salt>}`, chosen so that the partitions' slots spread evenly over the
 *   slot space; `{prefix:queue}` keeps only what belongs to the queue as a whole (the recorded
 *   partition count, the doorbell idle consumers sleep on, worker presence). A job id is a ULID
 *   whose last two characters name its partition, so any step of a job goes to its partition
 *   directly.
 *
 * See docs/decisions/0021-partitioned-queues.md.
 * @public
 */
export class QueuePartitions {
  /** How many partitions. */
  readonly count: number;
  /** `{prefix:queue}`: the key base of the queue as a whole (and of its only partition when `count` is 1). */
  readonly keyBase: string;
  /** The key base of each partition, by index. */
  readonly keyBases: readonly string[];
  /** The next partition of {@link QueuePartitions.nextPartition}: starts anywhere, so producers do not all begin with partition 0. */
  private turn: number;

  /**
   * @param prefix - the key prefix (`hotq` by default elsewhere).
   * @param queue - the queue name.
   * @param count - 1 to {@link MAX_PARTITIONS}.
   * @throws {@link InvalidArgumentError} naming the argument.
   */
  constructor(prefix: string, queue: string, count = 1) {
    checkName('prefix', prefix);
    checkName('queue', queue);
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
      throw new InvalidArgumentError('partitions', `an integer from 1 to ${MAX_PARTITIONS}`, count);
    }
    this.count = count;
    this.keyBase = `{${prefix}:${queue}}`;
    this.keyBases = count === 1 ? [this.keyBase] : partitionTags(prefix, queue, count).map((tag) => `{${tag}}`);
    this.turn = count === 1 ? 0 : randomInt(count);
  }

  /**
   * The partition a job id names: 0 on a queue of one partition; on more, the index its last two
   * characters encode. Undefined when the id names no partition of this queue (not a ULID, or an
   * index past the count): no such job can exist here.
   */
  partitionOf(id: string): number | undefined {
    if (this.count === 1) return 0;
    if (typeof id !== 'string' || !ULID.test(id)) return undefined;
    const index = CROCKFORD.indexOf(id[24] as string) * 32 + CROCKFORD.indexOf(id[25] as string);
    return index < this.count ? index : undefined;
  }

  /**
   * A ULID made an id of partition `partition`: on a queue of one partition the ULID itself; on more,
   * its time, the 14 random characters after the first two, then the partition in two base32
   * characters. Ids made in one millisecond by one monotonic generator stay distinct and in order
   * (they differ in their last random characters, which are kept).
   * @throws {@link InvalidArgumentError} when `ulid` is not a ULID or `partition` is out of range.
   */
  stampId(ulid: string, partition: number): string {
    this.checkPartition(partition);
    if (this.count === 1) return ulid;
    if (typeof ulid !== 'string' || !ULID.test(ulid)) throw new InvalidArgumentError('id', 'a ULID (26 characters of Crockford base32)', ulid);
    return `${ulid.slice(0, 10)}${ulid.slice(12)}${this.code(partition)}`;
  }

  /**
   * The 16 characters after the time of a schedule's occurrence ids, made to name partition
   * `partition` (the schedule's): the stem's first 14 characters, then the partition's two.
   */
  stampStem(stem: string, partition: number): string {
    this.checkPartition(partition);
    return this.count === 1 ? stem : `${stem.slice(0, 14)}${this.code(partition)}`;
  }

  /**
   * The partition a partition key goes to: FNV-1a of its UTF-8 bytes modulo the count, so that
   * every producer sends one key's jobs to one partition, where they keep their order.
   * @throws {@link InvalidArgumentError} unless the key is 1 to 128 printable ASCII characters.
   */
  partitionForKey(key: string): number {
    checkPartitionKey('partitionKey', key);
    return this.count === 1 ? 0 : fnv1a(key) % this.count;
  }

  /** The next partition in turn (round-robin), for a submission without a partition key. */
  nextPartition(): number {
    if (this.count === 1) return 0;
    const partition = this.turn;
    this.turn = (this.turn + 1) % this.count;
    return partition;
  }

  private code(partition: number): string {
    return `${CROCKFORD[partition >> 5] as string}${CROCKFORD[partition & 31] as string}`;
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.count) {
      throw new InvalidArgumentError('partition', `an integer from 0 to ${this.count - 1}`, partition);
    }
  }
}

/** A partition key: 1 to 128 printable ASCII characters. */
export function checkPartitionKey(argument: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_PARTITION_KEY || !PARTITION_KEY.test(key)) {
    throw new InvalidArgumentError(argument, `1 to ${MAX_PARTITION_KEY} printable ASCII characters`, key);
  }
  return key;
}
