import { Command, type Cluster, type Redis } from 'ioredis';

/** The client options that decide how a command is sent (those ioredis's own `call` reads). */
interface SendOptions {
  keyPrefix?: string;
  enableAutoPipelining?: boolean;
  showFriendlyErrorStack?: boolean;
}

/**
 * Sends `redis.call(name, ...args)`, without the one-level flattening ioredis applies to every
 * argument list it is given (`Array.prototype.flat`, generic and slow in V8: about a microsecond for
 * the twenty arguments of a put, on every put, lease and acknowledgement). The command is made with
 * no arguments and given them, all strings, before it is sent, which is when ioredis reads them.
 * A client with a key prefix or automatic pipelining goes the usual way, which applies them.
 */
export function sendCall(redis: Redis | Cluster, name: string, args: ReadonlyArray<string | number>): Promise<unknown> {
  const options = redis.options as SendOptions;
  if (options.keyPrefix || options.enableAutoPipelining) return redis.call(name, ...args);
  const command = new Command(name, [], {
    replyEncoding: 'utf8',
    ...(options.showFriendlyErrorStack ? { errorStack: new Error() } : {}),
  });
  const strings = new Array<string>(args.length);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    // As ioredis writes numbers: an integer past 2^53 in full, not in exponent form.
    strings[i] = typeof arg === 'string' ? arg : Number.isInteger(arg) && !Number.isSafeInteger(arg) ? BigInt(arg as number).toString() : String(arg);
  }
  command.args = strings;
  return redis.sendCommand(command) as Promise<unknown>;
}
