import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '@hotq/test-harness';

/** The databases of the one bench server: each system on its own. */
export const DB = { hotq: 1, bullmq: 2, 'bee-queue': 3, hotqueue: 4, http: 5, dashboard: 6 } as const;

/**
 * The one throwaway redis-server every system of a run shares (never a developer's Redis), with an
 * admin connection for flushing and reading INFO.
 */
export class BenchRedis {
  private constructor(
    private readonly server: RedisServer,
    private readonly admin: Redis,
    /** `redis-server` version, from INFO. */
    readonly version: string,
  ) {}

  static async start(): Promise<BenchRedis> {
    const server = await startRedisServer();
    const admin = new Redis(server.url, { maxRetriesPerRequest: null, lazyConnect: false });
    const info = await admin.info('server');
    return new BenchRedis(server, admin, /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown');
  }

  get host(): string {
    return '127.0.0.1';
  }

  get port(): number {
    return this.server.port;
  }

  /** `redis://127.0.0.1:<port>/<db>`. */
  url(db: number): string {
    return `redis://127.0.0.1:${this.server.port}/${db}`;
  }

  /** A new connection to one database (settings BullMQ requires, harmless for the others). */
  connect(db: number): Redis {
    return new Redis(this.url(db), { maxRetriesPerRequest: null });
  }

  /** Empties every database of this private server (synchronously, so memory is freed now). */
  async flush(): Promise<void> {
    await this.admin.flushall('SYNC');
  }

  /** INFO memory `used_memory`: bytes the server has allocated. */
  async usedMemory(): Promise<number> {
    const info = await this.admin.info('memory');
    const match = /used_memory:(\d+)/.exec(info);
    if (!match) throw new Error('INFO memory has no used_memory');
    return Number(match[1]);
  }

  /** CPU seconds the server's main thread has used (INFO cpu), to charge work to a phase. */
  async cpuSeconds(): Promise<number> {
    const info = await this.admin.info('cpu');
    const field = (name: string): number | undefined => {
      const match = new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info);
      return match ? Number(match[1]) : undefined;
    };
    const user = field('used_cpu_user_main_thread') ?? field('used_cpu_user') ?? 0;
    const sys = field('used_cpu_sys_main_thread') ?? field('used_cpu_sys') ?? 0;
    return user + sys;
  }

  /** ECHO on the admin connection (database 0): a marker to find in a MONITOR stream. */
  async echo(text: string): Promise<void> {
    await this.admin.echo(text);
  }

  /** A connection in MONITOR mode, for counting the commands a system sends (untimed phases only). */
  async monitor(): Promise<Redis> {
    return await this.admin.monitor();
  }

  async stop(): Promise<void> {
    this.admin.disconnect();
    await this.server.dispose();
  }
}
