--[[
  hooks: the job-record side of every TaskQueue step (docs/decisions/0001 and 0004). This chunk is
  returned by JobsStore.queueHooks() after the header and _lib.lua, and queue-core runs it inside its
  own scripts: queue reads and checks (lease token, idempotency) first, then the hook, then the queue's
  writes. Lua 5.1, Redis scripting.

  Each hook is called as HOOKS[name](id, ctx); ctx: now (Redis ms), token, attempt, consumer, reason,
  dueAt, vars (strings: see JobsStore.prepareSubmission, completion, failure).
  Returns: put, retryJob, cancelJob and remove may refuse by returning a string, and then the queue
  writes nothing either:
    put        the id of the job that already exists (this very id when the submission was already
               applied, or the first job of the idempotency key), or 'invalid' for vars that did not
               come from prepareSubmission
    retryJob   the job's status when it is neither failed nor cancelled, or 'missing'
    cancelJob  the job's status when it is neither queued nor delayed
  The other hooks cannot refuse: an illegal or stale transition (wrong status, other lease token,
  missing record) writes nothing. No hook raises an error, so a queue step never fails because of one.

  Transitions (every one: record, event; failed and cancelled also their status index):
    put        (none) -> queued | delayed          retryJob   failed | cancelled -> queued | delayed
    reserve    queued | delayed -> running         promote    delayed -> queued
    expire     running -> queued                   release    running -> queued (attempt given back)
    retry      running -> delayed | queued         ack        running -> succeeded
    dead       running -> failed                   cancel     running -> cancelled
    cancelJob  queued | delayed -> cancelled (remove: the same)
  ack, retry, dead, cancel, expire and release also need ctx.token to be the record's lease token.
  after() runs once at the end of each script call and writes what the hooks gathered: the move counts
  and the types of new jobs.
  Terminal transitions start the retention (PEXPIRE, the finished index) and, once per script call,
  purge a few jobs whose retention ended.
]]
local H = {}

local ID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Z]+$'
local TYPE_PATTERN = '^[a-z0-9][a-z0-9_.%-]*$'
local HASH_PATTERN = '^[A-Za-z0-9_%-]+$'
local PURGE_PER_FINISH = 10
-- This chunk runs anew in every script call, so these are per call: a batch of acks purges once, a
-- batch of puts lists its types once.
local purged_this_call = false
local new_types = {}

local function next_status(ctx)
  if ctx.dueAt and tonumber(ctx.dueAt) > ctx.now then return 'delayed' end
  return 'queued'
end

local function error_json(ctx)
  if ctx.vars.error then return ctx.vars.error end
  if ctx.reason then return cjson.encode({ message = ctx.reason }) end
  return nil
end

-- The record's fields { s, k, t, i, e } (status, token, type, idempotency hash, error), or nil when
-- there is no record.
local function read(id)
  local f = redis.call('HMGET', job_key(id), 's', 'k', 't', 'i', 'e')
  if not f[1] then return nil end
  return f
end

-- The record's fields when it is running under lease `token`; nil when stale or illegal.
local function held(id, token)
  local f = read(id)
  if f and f[1] == 'running' and f[2] == token then return f end
  return nil
end

-- Ends a job read as `f`: status `to`, finish time, more `fields`, retention of its record (params
-- and a long result go with it when the finished index is purged), and a little purging.
local function finish(id, ctx, f, to, fields)
  local key = job_key(id)
  fields[#fields + 1] = 's'
  fields[#fields + 1] = to
  fields[#fields + 1] = 'f'
  fields[#fields + 1] = ctx.now
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, RETENTION_MS)
  if f[4] then redis.call('PEXPIRE', idem_key(f[4]), RETENTION_MS) end
  redis.call('ZADD', FINISHED, ctx.now + RETENTION_MS, finished_member(id, to, f[3] or '?'))
  index_status(id, f[1], to)
  if not purged_this_call then
    purged_this_call = true
    purge_due(ctx.now, PURGE_PER_FINISH)
  end
end

-- A new submission: record, params, indexes, event; refused for an existing job or idempotency key.
function H.put(id, ctx)
  local v = ctx.vars
  if type(v.type) ~= 'string' or #v.type > 64 or not string.match(v.type, TYPE_PATTERN)
    or type(v.params) ~= 'string' or not tonumber(v.maxAttempts)
    or (v.timeoutMs and not tonumber(v.timeoutMs)) or (v.created and not tonumber(v.created))
    or (v.idem and (type(v.idem) ~= 'string' or #v.idem > 64 or not string.match(v.idem, HASH_PATTERN)))
    or #id ~= 26 or not string.match(id, ID_PATTERN) then
    return 'invalid'
  end
  local key = job_key(id)
  -- A resent submission whose job already ran (its queue message is gone) must not start it again.
  if redis.call('EXISTS', key) == 1 then return id end
  if v.idem then
    local first = redis.call('GET', idem_key(v.idem))
    if first and redis.call('EXISTS', job_key(first)) == 1 then return first end
    redis.call('SET', idem_key(v.idem), id)
  end
  local status = next_status(ctx)
  local fields = { 't', v.type, 's', status, 'a', 0, 'm', v.maxAttempts, 'c', v.created or ctx.now }
  if v.timeoutMs then
    fields[#fields + 1] = 'o'
    fields[#fields + 1] = v.timeoutMs
  end
  if v.idem then
    fields[#fields + 1] = 'i'
    fields[#fields + 1] = v.idem
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('SET', params_key(id), v.params)
  redis.call('ZADD', type_key(v.type), 0, id)
  new_types[v.type] = true
  index_status(id, nil, status)
  return nil
end

-- A manual retry: only a failed or cancelled job; attempts reset, the outcome forgotten, kept again.
function H.retryJob(id, ctx)
  local key = job_key(id)
  local f = redis.call('HMGET', key, 's', 't', 'i')
  local status, job_type, idem = f[1], f[2], f[3]
  if not status then return 'missing' end
  if status ~= 'failed' and status ~= 'cancelled' then return status end
  local to = next_status(ctx)
  redis.call('HDEL', key, 'r', 'f', 'p', 'e', 'w', 'k', 'x')
  redis.call('HSET', key, 's', to, 'a', 0)
  redis.call('PERSIST', key)
  if idem then redis.call('PERSIST', idem_key(idem)) end
  redis.call('DEL', result_key(id))
  redis.call('ZREM', FINISHED, finished_member(id, status, job_type or '?'))
  index_status(id, status, to)
  return nil
end

-- Leased to a consumer: running, with the attempt, start time, worker and the lease token that
-- fences every later step of this attempt (and progress updates). Progress of an earlier attempt goes.
function H.reserve(id, ctx)
  local key = job_key(id)
  local f = redis.call('HMGET', key, 's', 'p')
  local from = f[1]
  if from ~= 'queued' and from ~= 'delayed' then return end
  if f[2] then redis.call('HDEL', key, 'p') end
  redis.call('HSET', key, 's', 'running', 'a', ctx.attempt or 0, 'r', ctx.now, 'w', ctx.consumer or '',
    'k', ctx.token or '')
  index_status(id, from, 'running')
end

function H.promote(id, _ctx)
  local key = job_key(id)
  if redis.call('HGET', key, 's') ~= 'delayed' then return end
  redis.call('HSET', key, 's', 'queued')
  index_status(id, 'delayed', 'queued')
end

-- The lease ran out (expire) or was handed back (release): queued again, with the attempts the queue
-- counts (release gives the attempt back).
local function requeue(id, ctx)
  if not held(id, ctx.token) then return end
  redis.call('HSET', job_key(id), 's', 'queued', 'a', ctx.attempt or 0)
  index_status(id, 'running', 'queued')
end
H.expire = requeue
H.release = requeue

-- A failed attempt that will be retried: delayed until ctx.dueAt (queued when that is now), with the error.
function H.retry(id, ctx)
  if not held(id, ctx.token) then return end
  local to = next_status(ctx)
  local fields = { 's', to }
  local err = error_json(ctx)
  if err then
    fields[3] = 'e'
    fields[4] = err
  end
  redis.call('HSET', job_key(id), unpack(fields))
  index_status(id, 'running', to)
end

-- Succeeded: the result (in the record when short, else beside it, kept as long as the record), and
-- no error.
function H.ack(id, ctx)
  local f = held(id, ctx.token)
  if not f then return end
  local result = ctx.vars.result or 'jnull'
  local fields = {}
  if #result <= INLINE_RESULT_MAX then
    fields = { 'x', result }
  else
    redis.call('SET', result_key(id), result, 'PX', RETENTION_MS)
  end
  if f[5] then redis.call('HDEL', job_key(id), 'e') end
  finish(id, ctx, f, 'succeeded', fields)
end

-- Failed for good (dead-lettered: nack with dead, the last attempt, or its lease expired on it).
function H.dead(id, ctx)
  local f = held(id, ctx.token)
  if not f then return end
  finish(id, ctx, f, 'failed', { 'e', error_json(ctx) or '{"message":"failed"}' })
end

local function error_fields(ctx)
  local err = error_json(ctx)
  if err then return { 'e', err } end
  return {}
end

-- A running job that stopped because it was cancelled (the worker acks with hook 'cancel', or its
-- lease expired after a cancellation was requested).
function H.cancel(id, ctx)
  local f = held(id, ctx.token)
  if not f then return end
  finish(id, ctx, f, 'cancelled', error_fields(ctx))
end

-- A queued or delayed job taken out of the queue (TaskQueue.remove): cancelled. A message without a
-- record is let go.
function H.cancelJob(id, ctx)
  local f = read(id)
  if not f then return nil end
  if f[1] ~= 'queued' and f[1] ~= 'delayed' then return f[1] end
  finish(id, ctx, f, 'cancelled', error_fields(ctx))
  return nil
end
H.remove = H.cancelJob

-- Once per script call (queue-core calls it last): the moves and types gathered by the hooks above.
function H.after()
  flush_moves()
  local types = {}
  for job_type in pairs(new_types) do types[#types + 1] = job_type end
  if #types > 0 then redis.call('SADD', TYPES, unpack(types)) end
end

return H
