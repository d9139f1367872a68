import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the append-only file says was committed: Redis writes every change to it before it answers
 * (inside a script, each command the script ran, wrapped in MULTI/EXEC), so it is a durable log of
 * every write ever applied, independent of pub/sub (which loses messages while a subscriber
 * reconnects) and of the final state (which cannot show that something happened twice).
 */
export interface CommitLog {
  /** Per job id: the status of each terminal commit (`ZADD <base>:finished ... <id>:<status>:<type>`). */
  finished: Map<string, string[]>;
  /** Per job id: how many times a result was written (`SET <base>:result:<id>`, or a short one as field `x` of `HSET <base>:job:<id>`). */
  results: Map<string, number>;
  /** Commands read, over all files. */
  commands: number;
  /** Files read, in order. */
  files: string[];
  /** A command cut short at the end of a file (Redis was killed mid-write; Redis drops it on load). */
  truncated: boolean;
}

/**
 * Reads the commit log of queue `keyBase` (`{prefix:queue}`) from a Redis data directory with
 * `appendonly yes` (Redis 7's multi-part AOF: `appendonlydir/` and its manifest). Every job's
 * terminal transition runs the same hook code (jobs-store's `finish`), which adds the job to the
 * finished index exactly once per transition: counting those ZADDs counts completions.
 * Throws when the log is not complete: an AOF rewrite replaces the early history by a snapshot, so
 * the chaos run turns automatic rewrites off.
 */
export function readCommitLog(dataDir: string, keyBase: string): CommitLog {
  const dir = join(dataDir, 'appendonlydir');
  const manifestName = readdirSync(dir).find((name) => name.endsWith('.manifest'));
  if (!manifestName) throw new Error(`no AOF manifest in ${dir}`);
  const entries = readFileSync(join(dir, manifestName), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.split(' ');
      const get = (name: string): string => fields[fields.indexOf(name) + 1] ?? '';
      return { file: get('file'), seq: Number(get('seq')), type: get('type') };
    });
  const base = entries.find((entry) => entry.type === 'b');
  if (base && base.seq !== 1) throw new Error(`the AOF was rewritten (base file ${base.file}): the commit log no longer holds the whole history`);
  const log: CommitLog = { finished: new Map(), results: new Map(), commands: 0, files: [], truncated: false };
  const finishedKey = `${keyBase}:finished`;
  const resultPrefix = `${keyBase}:result:`;
  const recordPrefix = `${keyBase}:job:`;
  const countResult = (id: string): void => {
    log.results.set(id, (log.results.get(id) ?? 0) + 1);
  };
  for (const entry of entries.filter((e) => e.type === 'i').sort((a, b) => a.seq - b.seq)) {
    log.files.push(entry.file);
    const complete = readCommands(readFileSync(join(dir, entry.file)), (args) => {
      log.commands += 1;
      const name = args[0]?.toUpperCase();
      if (name === 'ZADD' && args[1] === finishedKey) {
        for (let i = 3; i < args.length; i += 2) {
          const [id = '', status = ''] = (args[i] ?? '').split(':');
          log.finished.set(id, [...(log.finished.get(id) ?? []), status]);
        }
      } else if (name === 'SET' && args[1]?.startsWith(resultPrefix)) {
        countResult(args[1].slice(resultPrefix.length));
      } else if (name === 'HSET' && args[1]?.startsWith(recordPrefix)) {
        // Field names sit at even offsets from 2; values could look like names, so step in pairs.
        for (let i = 2; i < args.length; i += 2) if (args[i] === 'x') countResult(args[1].slice(recordPrefix.length));
      }
    });
    if (!complete) log.truncated = true;
  }
  return log;
}

/** Calls `onCommand` for each RESP command in `data`; false when the last one is cut short. */
function readCommands(data: Buffer, onCommand: (args: string[]) => void): boolean {
  let pos = 0;
  const line = (): string | null => {
    const end = data.indexOf('\r\n', pos);
    if (end < 0) return null;
    const text = data.toString('latin1', pos, end);
    pos = end + 2;
    return text;
  };
  while (pos < data.length) {
    if (data[pos] === 0x23) {
      // An annotation ("#TS:..."), one line.
      if (line() === null) return false;
      continue;
    }
    const header = line();
    if (header === null || !header.startsWith('*')) return header === null ? false : fail(header, pos);
    const count = Number(header.slice(1));
    const args: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const size = line();
      if (size === null) return false;
      const length = Number(size.slice(1));
      if (pos + length + 2 > data.length) return false;
      args.push(data.toString('latin1', pos, pos + length));
      pos += length + 2;
    }
    onCommand(args);
  }
  return true;
}

function fail(header: string, pos: number): never {
  throw new Error(`the AOF is not a list of RESP commands near byte ${pos} (${JSON.stringify(header.slice(0, 40))})`);
}
