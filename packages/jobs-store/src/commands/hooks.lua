--[[
  hooks: the job-record side of every TaskQueue step (docs/decisions/0001 and 0004). This chunk is
  returned by JobsStore.queueHooks() after the header and _lib.lua, and queue-core runs it inside its
  own scripts: queue reads and checks (lease token, idempotency) first, then the hook, then the queue's
  writes. Lua 5.1, Redis scripting.

  The record lives in the message's own hash (keep_records): queue-core reads the record fields named
  in H.fields with its own fields and hands them over as ctx.record, and writes the pairs a hook
  appends to ctx.writes in its own HSET, so most steps read and write the hash once. The lease token
  is the queue's (field T): queue-core has checked it before ack, retry, dead, cancel, expire and
  release are called, so these only check that the record is running.

  Each hook is called as HOOKS[name](id, ctx); ctx: now (Redis ms), token, attempt, consumer, reason,
  dueAt, vars (strings: see JobsStore.prepareSubmission, completion, failure), record, writes, revive.
  Returns: put, retryJob, cancelJob and remove may refuse by returning a string, and then the queue
  writes nothing either:
    put        the id of the job that already exists (this very id when the submission was already
               applied and its job has ended, or the first job of the idempotency key)
    check_put  (reads only, before any write of the put) why vars did not come from prepareSubmission:
               the whole put is refused
    retryJob   the job's status when it is neither failed nor cancelled, or 'missing'
    cancelJob  the job's status when it is not waiting, queued or delayed
  The other hooks cannot refuse: an illegal or stale transition (wrong status, other lease token,
  missing record) writes nothing. No hook raises an error, so a queue step never fails because of one.

  Transitions (every one: record, event; failed and cancelled also their status index):
    put        (none) -> waiting | queued | delayed   retryJob   failed | cancelled -> queued | delayed
    reserve    queued | delayed -> running         promote    delayed -> queued
    unblock    waiting -> queued | delayed         dead       waiting -> failed (a dependency failed)
    expire     running -> queued                   release    running -> queued (attempt given back)
    retry      running -> delayed | queued         ack        running -> succeeded
    dead       running -> failed                   cancel     running -> cancelled
    cancelJob  waiting | queued | delayed -> cancelled (remove: the same)
  before(now) runs once at the start of each call and clears the previous call's state; after() runs
  once at the end of each call and writes what the hooks gathered: the move counts
  and the types of new jobs.
  Terminal transitions start the retention (PEXPIRE, the finished index) and, once per script call,
  purge a few jobs whose retention ended.
]]
local H = {}

-- The record outlives the message: a finished job is kept for its retention.
H.keep_records = true
-- Read with the queue's fields at every lease step (ctx.record): status, type, idempotency hash,
-- whether there is an error or progress to clear, and the tags (the finished index names them).
H.fields = { 's', 't', 'i', 'e', 'p', 'g' }

local ID_PATTERN = '^[0-7][0-9A-HJKMNP-TV-Z]+$'
local TYPE_PATTERN = '^[a-z0-9][a-z0-9_.%-]*$'
local HASH_PATTERN = '^[A-Za-z0-9_%-]+$'
local MAX_TAGS = 8
local PURGE_PER_FINISH = 10
-- Per call (reset by before): a batch of acks purges once, a batch of puts lists its types once.
local purged_this_call = false
local new_types = {}

-- Once per call, first (queue-core calls it before any other hook): the library is loaded once, so
-- the state of the previous call is cleared here.
function H.before(_now)
  reset_call_state()
  purged_this_call = false
  if next(new_types) ~= nil then new_types = {} end
end

local function next_status(ctx)
  if ctx.waiting then return 'waiting' end
  if ctx.dueAt and tonumber(ctx.dueAt) > ctx.now then return 'delayed' end
  return 'queued'
end

local function error_json(ctx)
  if ctx.vars.error then return ctx.vars.error end
  if ctx.reason then return cjson.encode({ message = ctx.reason }) end
  return nil
end

-- Ends a job whose record is ctx.record: status `to`, finish time and more `fields` (written with
-- the queue's own), the retention of the job's keys (its payload and a long result go with it when
-- the finished index is purged), and a little purging.
local function finish(id, ctx, to, fields)
  local f = ctx.record
  local w = ctx.writes
  w[#w + 1], w[#w + 2], w[#w + 3], w[#w + 4] = 's', to, 'f', ctx.now
  for i = 1, #fields do w[#w + 1] = fields[i] end
  redis.call('PEXPIRE', job_key(id), RETENTION_MS)
  if f.i then redis.call('PEXPIRE', idem_key(f.i), RETENTION_MS) end
  redis.call('ZADD', FINISHED, ctx.now + RETENTION_MS, finished_member(id, to, f.t or '?', f.g))
  index_status(id, f.s, to)
  if not purged_this_call then
    purged_this_call = true
    purge_due(ctx.now, PURGE_PER_FINISH)
  end
end

local function running(ctx)
  return ctx.record.s == 'running'
end

-- Tags as prepareSubmission joins them: 1 to 8, each 1 to 64 of [A-Za-z0-9_.:@-], joined by ','.
local function valid_tags(tags)
  if type(tags) ~= 'string' or not string.match(tags, '^[A-Za-z0-9_.:@,%-]+$') then return false end
  if string.find(tags, ',,', 1, true) or string.sub(tags, 1, 1) == ',' or string.sub(tags, -1) == ',' then return false end
  local n = 0
  for tag in string.gmatch(tags, '[^,]+') do
    n = n + 1
    if n > MAX_TAGS or #tag > 64 then return false end
  end
  return true
end

-- Before anything of a put is written (queue-core checks every message of a batch first): vars
-- that did not come from prepareSubmission refuse the whole put.
function H.check_put(id, ctx)
  local v = ctx.vars
  if (v.tags ~= nil and not valid_tags(v.tags)) or type(v.type) ~= 'string' or #v.type > 64 or not string.match(v.type, TYPE_PATTERN)
    or (v.timeoutMs and not tonumber(v.timeoutMs)) or (v.created and not tonumber(v.created))
    or (v.idem and (type(v.idem) ~= 'string' or #v.idem > 64 or not string.match(v.idem, HASH_PATTERN)))
    or #id ~= 26 or not string.match(id, ID_PATTERN) then
    return 'invalid job submission: use JobsStore.prepareSubmission'
  end
  return nil
end

-- A new submission, or an occurrence of a schedule: the record (in the message's hash), indexes,
-- event; refused for an existing job or idempotency key (so an occurrence that already ran, whose id
-- is its schedule's and due time's, is never made again). The params travel in the queue's payload, where the job reads them.
function H.put(id, ctx)
  local v = ctx.vars
  -- A resent submission whose job already ran (its message has ended) must not start it again.
  if ctx.revive then return id end
  if v.idem then
    local first = redis.call('GET', idem_key(v.idem))
    if first and redis.call('EXISTS', job_key(first)) == 1 then return first end
    redis.call('SET', idem_key(v.idem), id)
  end
  local status = next_status(ctx)
  local w = ctx.writes
  w[1], w[2], w[3], w[4], w[5], w[6] = 't', v.type, 's', status, 'c', v.created or ctx.now
  if v.timeoutMs then
    w[#w + 1] = 'o'
    w[#w + 1] = v.timeoutMs
  end
  if v.idem then
    w[#w + 1] = 'i'
    w[#w + 1] = v.idem
  end
  -- An occurrence of a schedule: which one, and the time it was due.
  if ctx.schedule then
    w[#w + 1], w[#w + 2], w[#w + 3], w[#w + 4] = 'h', ctx.schedule, 'd', ctx.dueAt
  end
  -- Only a tagged job pays for tags: the field, and one index entry per tag.
  if v.tags then
    w[#w + 1] = 'g'
    w[#w + 1] = v.tags
    for tag in string.gmatch(v.tags, '[^,]+') do redis.call('ZADD', tag_key(tag), 0, id) end
  end
  redis.call('ZADD', type_key(v.type), 0, id)
  new_types[v.type] = true
  index_status(id, nil, status)
  -- An occurrence of a schedule is made inside a reserve, by no client that could announce it: its
  -- creation is sent to the queue's watchers here (the reserve looks at the watched mark anyway).
  if ctx.schedule then publish('{"created":[["' .. id .. '","' .. status .. '"]]}') end
  return nil
end

-- A manual retry (a put of the ended job with hook retryJob): only a failed or cancelled job;
-- attempts reset (by the queue), the outcome forgotten, kept again.
function H.retryJob(id, ctx)
  local f = ctx.record
  if not ctx.revive or not f.s then return 'missing' end
  if f.s ~= 'failed' and f.s ~= 'cancelled' then return f.s end
  local key = job_key(id)
  local to = next_status(ctx)
  redis.call('HDEL', key, 'r', 'f', 'p', 'e', 'x')
  ctx.writes[1], ctx.writes[2] = 's', to
  redis.call('PERSIST', key)
  if f.i then redis.call('PERSIST', idem_key(f.i)) end
  redis.call('DEL', result_key(id))
  redis.call('ZREM', FINISHED, finished_member(id, f.s, f.t or '?', f.g))
  index_status(id, f.s, to)
  return nil
end

-- Leased to a consumer: running, with the start time (the queue writes the attempt, the worker and
-- the lease token that fences every later step of this attempt). Progress of an earlier attempt goes.
function H.reserve(id, ctx)
  local from = ctx.record.s
  if from ~= 'queued' and from ~= 'delayed' then return end
  if ctx.record.p then redis.call('HDEL', job_key(id), 'p') end
  local w = ctx.writes
  w[1], w[2], w[3], w[4] = 's', 'running', 'r', ctx.now
  index_status(id, from, 'running')
end

function H.promote(id, _ctx)
  local key = job_key(id)
  if redis.call('HGET', key, 's') ~= 'delayed' then return end
  redis.call('HSET', key, 's', 'queued')
  index_status(id, 'delayed', 'queued')
end

-- Its dependencies have all ended: queued, or delayed until ctx.dueAt.
function H.unblock(id, ctx)
  if ctx.record.s ~= 'waiting' then return end
  local to = next_status(ctx)
  ctx.writes[1], ctx.writes[2] = 's', to
  index_status(id, 'waiting', to)
end

-- The lease ran out (expire) or was handed back (release): queued again (the queue counts attempts).
local function requeue(id, ctx)
  if not running(ctx) then return end
  ctx.writes[1], ctx.writes[2] = 's', 'queued'
  index_status(id, 'running', 'queued')
end
H.expire = requeue
H.release = requeue

-- A failed attempt that will be retried: delayed until ctx.dueAt (queued when that is now), with the error.
function H.retry(id, ctx)
  if not running(ctx) then return end
  local to = next_status(ctx)
  local w = ctx.writes
  w[1], w[2] = 's', to
  local err = error_json(ctx)
  if err then
    w[3], w[4] = 'e', err
  end
  index_status(id, 'running', to)
end

-- Succeeded: the result (in the record when short, else beside it, kept as long as the record), and
-- no error.
function H.ack(id, ctx)
  if not running(ctx) then return end
  local result = ctx.vars.result or 'jnull'
  local fields = {}
  if #result <= INLINE_RESULT_MAX then
    fields = { 'x', result }
  else
    redis.call('SET', result_key(id), result, 'PX', RETENTION_MS)
  end
  if ctx.record.e then redis.call('HDEL', job_key(id), 'e') end
  finish(id, ctx, 'succeeded', fields)
end

-- Failed for good (dead-lettered: nack with dead, the last attempt, or its lease expired on it), or
-- while waiting, because a dependency failed or was cancelled (ctx.dependency).
function H.dead(id, ctx)
  if ctx.dependency and ctx.record.s == 'waiting' then
    finish(id, ctx, 'failed', { 'e', cjson.encode({ message = ctx.reason, code = 'dependency_failed' }) })
    return
  end
  if not running(ctx) then return end
  finish(id, ctx, 'failed', { 'e', error_json(ctx) or '{"message":"failed"}' })
end

local function error_fields(ctx)
  local err = error_json(ctx)
  if err then return { 'e', err } end
  return {}
end

-- A running job that stopped because it was cancelled (the worker acks with hook 'cancel', or its
-- lease expired after a cancellation was requested).
function H.cancel(id, ctx)
  if not running(ctx) then return end
  finish(id, ctx, 'cancelled', error_fields(ctx))
end

-- A waiting, queued or delayed job taken out of the queue (TaskQueue.remove): cancelled. A message without a
-- record is let go.
function H.cancelJob(id, ctx)
  local status = ctx.record.s
  if not status then return nil end
  if status ~= 'queued' and status ~= 'delayed' and status ~= 'waiting' then return status end
  finish(id, ctx, 'cancelled', error_fields(ctx))
  return nil
end
H.remove = H.cancelJob

-- Once per script call (queue-core calls it last): the moves and types gathered by the hooks above.
function H.after()
  flush_moves()
  if next(new_types) == nil then return end
  local types = {}
  for job_type in pairs(new_types) do types[#types + 1] = job_type end
  redis.call('SADD', TYPES, unpack(types))
end

return H
