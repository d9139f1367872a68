// The /schedules routes as data (docs/decisions/0019), as operations.ts holds the jobs routes: the
// router and the OpenAPI document are made from the same objects.
import * as z from 'zod';
import { define, error, errors as shared, json, type Operation } from './operation-kit.js';
import { Job, NoQuery } from './schemas.js';
import { ScheduleBody, ScheduleDeleted, ScheduleList, ScheduleListQuery, ScheduleParams, Schedule } from './schedule-schemas.js';

const errors = { ...shared, 404: error('No such schedule (code not_found).') } as const;

const readErrors = { 400: errors[400], 401: errors[401], 404: errors[404], 503: errors[503] };
const writeErrors = { ...readErrors, 403: errors[403], 413: errors[413], 415: errors[415] };

export const putSchedule = define({
  operationId: 'putSchedule',
  method: 'put',
  path: '/schedules/:id',
  summary: 'Create or replace a schedule',
  description: 'Exactly one of cron and everyMs. The same body again changes nothing (200). A new body keeps the schedule\'s count and pause, '
    + 'and applies from its next due time after now. Each occurrence is a job whose id derives from the schedule id and its due time, '
    + 'made inside Redis by the worker that finds it due: never twice, whatever the number of API or worker processes, restarts or resent requests.',
  params: ScheduleParams,
  query: NoQuery,
  body: ScheduleBody,
  responses: {
    201: { ...json(Schedule, 'Created.'), headers: z.object({ Location: z.string().meta({ description: '/schedules/{id}' }) }) },
    200: json(Schedule, 'Replaced, or the same definition was already there.'),
    ...writeErrors,
  },
});

export const listSchedules = define({
  operationId: 'listSchedules',
  method: 'get',
  path: '/schedules',
  summary: 'List the schedules, with their next due times',
  query: ScheduleListQuery,
  responses: { 200: json(ScheduleList, 'A page of the schedules of the queue, by id (100 by default).'), 400: errors[400], 401: errors[401], 503: errors[503] },
});

export const getSchedule = define({
  operationId: 'getSchedule',
  method: 'get',
  path: '/schedules/:id',
  summary: 'One schedule, with its next due time',
  params: ScheduleParams,
  query: NoQuery,
  responses: { 200: json(Schedule, 'The schedule.'), ...readErrors },
});

export const pauseSchedule = define({
  operationId: 'pauseSchedule',
  method: 'post',
  path: '/schedules/:id/pause',
  summary: 'Pause a schedule',
  description: 'No occurrence until it is resumed; jobs it made already are not touched. Takes no body (an empty JSON object is accepted).',
  params: ScheduleParams,
  query: NoQuery,
  responses: { 200: json(Schedule, 'Paused.'), ...writeErrors },
});

export const resumeSchedule = define({
  operationId: 'resumeSchedule',
  method: 'post',
  path: '/schedules/:id/resume',
  summary: 'Resume a paused schedule',
  description: 'It goes on from its next due time after now; times that passed while it was paused are not made up. Takes no body.',
  params: ScheduleParams,
  query: NoQuery,
  responses: { 200: json(Schedule, 'Resumed (or was not paused).'), ...writeErrors },
});

export const runSchedule = define({
  operationId: 'runSchedule',
  method: 'post',
  path: '/schedules/:id/run',
  summary: 'Run a schedule now',
  description: 'Makes one occurrence due now, whatever the schedule\'s times, pause, end, limit or overlap; its own next due time does not move. Takes no body.',
  params: ScheduleParams,
  query: NoQuery,
  responses: {
    201: { ...json(Job, 'The job made, with schedule { id, dueAt }.'), headers: z.object({ Location: z.string().meta({ description: '/jobs/{id}' }) }) },
    200: json(Job, 'An occurrence due at this very millisecond was already made: that job.'),
    ...writeErrors,
  },
});

export const deleteSchedule = define({
  operationId: 'deleteSchedule',
  method: 'delete',
  path: '/schedules/:id',
  summary: 'Delete a schedule',
  description: 'No occurrence is made after this; the jobs it made already stay (cancel them as any job).',
  params: ScheduleParams,
  query: NoQuery,
  responses: { 200: json(ScheduleDeleted, 'Deleted.'), ...readErrors, 403: errors[403] },
});

/** The schedule operations, in the order of the HTTP reference. */
export const SCHEDULE_OPERATIONS: readonly Operation[] = [
  putSchedule, listSchedules, getSchedule, pauseSchedule, resumeSchedule, runSchedule, deleteSchedule,
];
