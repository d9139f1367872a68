import { InvalidArgumentError, type LimitSpec } from '@hotq/queue-core';
import type { AppContext } from '../context.js';
import { invalidField } from '../errors.js';
import * as op from '../limit-operations.js';
import { route, type Route } from '../route.js';

/** GET /limits; PUT and DELETE /limits/queue, /limits/type/:type and /limits/tag/:tag. One round trip each (GET: two). */
export function limitRoutes(ctx: AppContext): Route[] {
  const { queue, redisCall } = ctx;
  const set = async (scope: string, spec: LimitSpec) => {
    try {
      return await redisCall(queue.setLimit(scope, spec), 'set limit');
    } catch (error) {
      // A partitioned queue refuses a limit smaller than its partition count: named as the body's field.
      if (error instanceof InvalidArgumentError && error.argument.startsWith('limit.')) {
        const field = error.argument.slice('limit.'.length);
        throw invalidField(field, error.message.slice(`${error.argument} must be `.length));
      }
      throw error;
    }
  };
  const remove = async (scope: string) => ({ scope, removed: await redisCall(queue.removeLimit(scope), 'remove limit') });

  return [
    route(op.listLimits, async (_input, _req, res) => {
      res.json({ limits: await redisCall(queue.limits(), 'read limits') });
    }),
    route(op.setQueueLimit, async ({ body }, _req, res) => {
      res.json(await set('queue', body));
    }),
    route(op.removeQueueLimit, async (_input, _req, res) => {
      res.json(await remove('queue'));
    }),
    route(op.setTypeLimit, async ({ params, body }, _req, res) => {
      res.json(await set(`type:${params.type}`, body));
    }),
    route(op.removeTypeLimit, async ({ params }, _req, res) => {
      res.json(await remove(`type:${params.type}`));
    }),
    route(op.setTagLimit, async ({ params, body }, _req, res) => {
      res.json(await set(`tag:${params.tag}`, body));
    }),
    route(op.removeTagLimit, async ({ params }, _req, res) => {
      res.json(await remove(`tag:${params.tag}`));
    }),
  ];
}
