// The /limits routes as data (see operations.ts): rate limits and global concurrency per queue, job
// type or tag, set and removed without restarting anything.
import { define, errors, json, type Operation } from './operation-kit.js';
import * as l from './limit-schemas.js';
import { Limit, NoQuery } from './schemas.js';

const setDescription =
  'Replaces the scope\'s limit as a whole; every worker applies it from its next take of work, with no restart. '
  + 'A job held back by a limit stays queued in its place (its attempts do not move) while jobs of other scopes go ahead.';

const setAnswers = {
  200: json(Limit, 'The limit now in force.'),
  400: errors[400], 401: errors[401], 403: errors[403], 413: errors[413], 415: errors[415], 503: errors[503],
};
const removeAnswers = {
  200: json(l.LimitRemoved, 'Removed (or there was none). Running jobs it counted give their slots back as they end.'),
  400: errors[400], 401: errors[401], 403: errors[403], 503: errors[503],
};

export const listLimits = define({
  operationId: 'listLimits',
  method: 'get',
  path: '/limits',
  summary: 'The limits in force, with what they count now',
  query: NoQuery,
  responses: { 200: json(l.LimitList, 'Limits, by scope.'), 400: errors[400], 401: errors[401], 503: errors[503] },
});

export const setQueueLimit = define({
  operationId: 'setQueueLimit',
  method: 'put',
  path: '/limits/queue',
  summary: 'Limit the whole queue',
  description: setDescription,
  query: NoQuery,
  body: l.LimitBody,
  responses: setAnswers,
});

export const removeQueueLimit = define({
  operationId: 'removeQueueLimit',
  method: 'delete',
  path: '/limits/queue',
  summary: "Remove the queue's limit",
  query: NoQuery,
  responses: removeAnswers,
});

export const setTypeLimit = define({
  operationId: 'setTypeLimit',
  method: 'put',
  path: '/limits/type/:type',
  summary: 'Limit the jobs of one type',
  description: setDescription,
  params: l.TypeParams,
  query: NoQuery,
  body: l.LimitBody,
  responses: setAnswers,
});

export const removeTypeLimit = define({
  operationId: 'removeTypeLimit',
  method: 'delete',
  path: '/limits/type/:type',
  summary: "Remove a job type's limit",
  params: l.TypeParams,
  query: NoQuery,
  responses: removeAnswers,
});

export const setTagLimit = define({
  operationId: 'setTagLimit',
  method: 'put',
  path: '/limits/tag/:tag',
  summary: 'Limit the jobs carrying one tag (a customer, a tenant)',
  description: setDescription,
  params: l.TagParams,
  query: NoQuery,
  body: l.LimitBody,
  responses: setAnswers,
});

export const removeTagLimit = define({
  operationId: 'removeTagLimit',
  method: 'delete',
  path: '/limits/tag/:tag',
  summary: "Remove a tag's limit",
  params: l.TagParams,
  query: NoQuery,
  responses: removeAnswers,
});

/** The /limits operations, in the order of the HTTP reference. */
export const LIMIT_OPERATIONS: readonly Operation[] = [
  listLimits, setQueueLimit, removeQueueLimit, setTypeLimit, removeTypeLimit, setTagLimit, removeTagLimit,
];
