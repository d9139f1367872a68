// The limit commands: `hotq limits` (list), `hotq limits set SCOPE`, `hotq limits rm SCOPE`.
import { InvalidArgumentError } from 'commander';
import { EXIT, usage } from './client.js';
import type { Context } from './context.js';
import { formatSpan, parseSpan } from './durations.js';
import { plainRows, table } from './format.js';

/** A limit as GET /limits shows it. */
interface LimitView {
  scope: string;
  rate: { count: number; perMs: number } | null;
  concurrency: number | null;
  running?: number;
  recentStarts?: number;
}

/** `50/1s` → `{ count: 50, perMs: 1000 }`; a window without a unit is in ms. */
export function parseRate(value: string): { count: number; perMs: number } {
  const match = /^([0-9]+)\/(.+)$/.exec(value.trim());
  const count = Number(match?.[1]);
  const perMs = match ? parseSpan(match[2] as string) : undefined;
  if (!match || count < 1 || perMs === undefined || perMs < 1) throw new InvalidArgumentError('must be COUNT/WINDOW, e.g. 50/1s, 600/1m or 10/250ms (a window without a unit is in ms)');
  return { count, perMs };
}

/** The route of a scope: `queue`, `type:NAME`, `tag:NAME`. */
function scopePath(scope: string): string {
  if (scope === 'queue') return '/limits/queue';
  const match = /^(type|tag):(.+)$/.exec(scope);
  if (!match) throw usage(`scope "${scope}": must be queue, type:NAME or tag:NAME`);
  return `/limits/${match[1]}/${encodeURIComponent(match[2] as string)}`;
}

const rateText = (limit: LimitView): string => (limit.rate ? `${limit.rate.count}/${formatSpan(limit.rate.perMs)}` : '-');

/** `hotq limits`. */
export async function list(ctx: Context): Promise<number> {
  const { limits } = await ctx.client.json<{ limits: LimitView[] }>('GET', '/limits', { subject: { feature: 'hotq limits' } });
  if (ctx.json) ctx.printJson({ limits });
  else if (ctx.tty) {
    ctx.out(limits.length === 0
      ? 'no limits (set one: hotq limits set type:NAME --rate 50/1s)\n'
      : table(['SCOPE', 'RATE', 'STARTS IN WINDOW', 'CONCURRENCY', 'RUNNING'], limits.map((limit) => [
        limit.scope, rateText(limit), limit.rate ? String(limit.recentStarts ?? 0) : '-', limit.concurrency === null ? '-' : String(limit.concurrency), limit.concurrency === null ? '-' : String(limit.running ?? 0),
      ])));
  } else ctx.out(plainRows(limits.map((limit) => [limit.scope, rateText(limit), String(limit.concurrency ?? '-'), String(limit.recentStarts ?? 0), String(limit.running ?? 0)])));
  return EXIT.ok;
}

/** `hotq limits set SCOPE --rate 50/1s --concurrency 3`. */
export async function set(ctx: Context, scope: string, options: { rate?: { count: number; perMs: number }; concurrency?: number }): Promise<number> {
  if (options.rate === undefined && options.concurrency === undefined) throw usage('give --rate, --concurrency or both (hotq limits set --help)');
  const body = { ...(options.rate ? { rate: options.rate } : {}), ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) };
  const limit = await ctx.client.json<LimitView>('PUT', scopePath(scope), { body, subject: { feature: 'hotq limits set' } });
  if (ctx.json) ctx.printJson(limit);
  else ctx.out(`${limit.scope}: rate ${rateText(limit)}, concurrency ${limit.concurrency ?? '-'}\n`);
  return EXIT.ok;
}

/** `hotq limits rm SCOPE`. */
export async function remove(ctx: Context, scope: string): Promise<number> {
  const answer = await ctx.client.json<{ scope: string; removed: boolean }>('DELETE', scopePath(scope), { subject: { feature: 'hotq limits rm' } });
  if (ctx.json) ctx.printJson(answer);
  else ctx.out(answer.removed ? `${answer.scope}: limit removed\n` : `${answer.scope} had no limit\n`);
  return EXIT.ok;
}
