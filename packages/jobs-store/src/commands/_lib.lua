--[[
  Shared by the hooks chunk and every jobs-store script. Prepended after a header (written by
  _scripts.ts) that defines BASE, the key base `{prefix:queue}`, and RETENTION_MS, how long finished
  jobs are kept.

  Keys, all in BASE's hash tag (one Redis Cluster slot, shared with the TaskQueue):
    <BASE>:job:<id>     HASH     the job: the queue's message fields (upper case, queue-core's) and
                                 the record's fields (lower case, below) in one hash
    <BASE>:payload:<id> STRING   the queue's payload when longer than 64 bytes (else field P): JSON
                                 { type, params, timeoutMs }, where the job's params are read from
    <BASE>:result:<id>  STRING   a result too long to sit in the record (field x): 'j' .. JSON, or
                                 'b' .. content type .. '\n' .. base64 of the bytes
    <BASE>:type:<t>     ZSET     score 0, member id: every job of type t, in id (= creation) order;
                                 the job list walks these, newest first
    <BASE>:types        SET      every type that has an index
    <BASE>:status:<s>   ZSET     score 0, member id: the jobs that failed (s = failed) or were
                                 cancelled (s = cancelled): the rare statuses a list must find fast
    <BASE>:tag:<g>      ZSET     score 0, member id: every job tagged g, in id (= creation) order;
                                 only tagged jobs have entries. An entry goes when its job is
                                 deleted or purged (the finished member names the tags), and the
                                 list drops any entry whose job is gone as it walks past it
    <BASE>:finished     ZSET     member '<id>:<status>:<type>', or '<id>:<status>:<type>:<tags>' for a
                                 tagged job (its tags joined by ','), score: when its retention ends (ms)
    <BASE>:moves        HASH     field '<from>><to>' (from '' for a new job): how many transitions
                                 went that way; a live status (waiting, queued, delayed, running) counts the
                                 moves into it less the moves out of it, one HINCRBY per transition
    <BASE>:idem:<h>     STRING   the id an idempotency key names (h: the key's hash, from TypeScript)
    <BASE>:dead         ZSET     queue-core's dead-letter set (its key layout): a deleted failed job
                                 leaves it too, so that the queue's stats stop counting it
    <BASE>:events       channel  PUBLISH '{"id":..,"status":..}' and '{"id":..,"progress":..}', only
                                 while <BASE>:watched exists
    <BASE>:watched      STRING   present (with a short expiry, renewed) while a store watches jobs
  Jobs waiting, queued, delayed or running have no index of their own (they are counted by the moves, and
  found by walking the type indexes newest first, where live jobs are).
  Record fields (short names, short values: the hash stays a listpack):
    t type, s status, o timeout ms, c created, r started, f finished (times: ms of Redis time),
    p progress JSON, e error JSON, i idempotency key hash, x the result when it is short (as in
    <BASE>:result:<id>), g the tags joined by ',' (absent: none),
    h and d the schedule id and the due time (ms) of an occurrence of a schedule
  and, read from the queue's fields: D the job's dependencies (ids joined by spaces), F 'r' when it
    runs even if one fails (see queue-core's _deps.lua)
  and, read from the queue's fields: A attempts, M max attempts, C worker (the last lease's
  consumer), T lease token (fences progress). The hooks keep the hash after the message ends
  (keep_records) and give it the retention of a finished job.
]]
local EVENTS = BASE .. ':events'
local FINISHED = BASE .. ':finished'
local TYPES = BASE .. ':types'
local MOVES = BASE .. ':moves'
local WATCHED = BASE .. ':watched'
local QUEUE_DEAD = BASE .. ':dead'
-- A hash value longer than this turns the whole record from a listpack into a hash table (Redis's
-- default hash-max-listpack-value), which costs several times the memory.
local INLINE_RESULT_MAX = 64

local function job_key(id) return BASE .. ':job:' .. id end
local function payload_key(id) return BASE .. ':payload:' .. id end
local function result_key(id) return BASE .. ':result:' .. id end
local function status_key(status) return BASE .. ':status:' .. status end
local function type_key(job_type) return BASE .. ':type:' .. job_type end
local function tag_key(tag) return BASE .. ':tag:' .. tag end
local function idem_key(hash) return BASE .. ':idem:' .. hash end

local STATUSES = { 'waiting', 'queued', 'delayed', 'running', 'succeeded', 'failed', 'cancelled' }
-- The statuses with an index of their own.
local INDEXED = { failed = true, cancelled = true }

-- Redis server time in ms, for scripts that are not hooks (hooks get ctx.now).
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Whether someone watches, looked up at most once per call (nil: not yet): a queue nobody watches
-- spends nothing on events.
local watched = nil
-- Moves counted in this call, written by flush_moves (one HINCRBY per kind of move, not per job).
local pending_moves = {}

-- The start of every call. The library is loaded once and its functions run many times, so what one
-- call learnt or gathered must not leak into the next.
local function reset_call_state()
  watched = nil
  -- Emptied only when a call left something in it (flush_moves empties it too): no new table per call.
  if next(pending_moves) ~= nil then pending_moves = {} end
end

-- Publishes an event when someone watches.
local function publish(message)
  if watched == nil then watched = redis.call('EXISTS', WATCHED) == 1 end
  if watched then redis.call('PUBLISH', EVENTS, message) end
end

local function flush_moves()
  if next(pending_moves) == nil then return end
  for move, n in pairs(pending_moves) do redis.call('HINCRBY', MOVES, move, n) end
  pending_moves = {}
end

-- Moves `id` from status `from` (nil: none) to `to`: the move count (written by flush_moves), the
-- index of a rare status, and the event.
local function index_status(id, from, to)
  local move = (from or '') .. '>' .. to
  pending_moves[move] = (pending_moves[move] or 0) + 1
  if from and INDEXED[from] then redis.call('ZREM', status_key(from), id) end
  if INDEXED[to] then redis.call('ZADD', status_key(to), 0, id) end
  -- A new job has no watcher yet (watching starts by reading the job), so its creation is not sent.
  if from then publish('{"id":"' .. id .. '","status":"' .. to .. '"}') end
end

-- The finished index's member of a job; `tags` is field g (nil or '' when untagged).
local function finished_member(id, status, job_type, tags)
  if tags and tags ~= '' then return id .. ':' .. status .. ':' .. job_type .. ':' .. tags end
  return id .. ':' .. status .. ':' .. job_type
end

-- id, status, type and tags ('' when untagged) of a finished index member. Types have no ':' and
-- tags no ',' (both are checked at submission), so the split is unambiguous.
local function parse_finished(member)
  return string.match(member, '^([^:]+):([^:]+):([^:]+):?(.*)$')
end

-- Whether the tags of a job (field g) include `tag`.
local function has_tag(tags, tag)
  return tags ~= nil and tags ~= false and string.find(',' .. tags .. ',', ',' .. tag .. ',', 1, true) ~= nil
end

local function unindex_tags(id, tags)
  if not tags or tags == '' then return end
  for tag in string.gmatch(tags, '[^,]+') do redis.call('ZREM', tag_key(tag), id) end
end

-- Ends the retention of at most `limit` finished jobs whose time is up: their keys (if Redis has not
-- expired them already) and their index entries. A record that lives on without an expiry was
-- retried meanwhile and is left alone. Returns how many were purged.
local function purge_due(now, limit)
  local due = redis.call('ZRANGEBYSCORE', FINISHED, '-inf', now, 'LIMIT', 0, limit)
  for _, member in ipairs(due) do
    local id, status, job_type, tags = parse_finished(member)
    if id and redis.call('PTTL', job_key(id)) ~= -1 then
      redis.call('DEL', job_key(id), payload_key(id), result_key(id))
      if INDEXED[status] then redis.call('ZREM', status_key(status), id) end
      redis.call('ZREM', type_key(job_type), id)
      unindex_tags(id, tags)
    end
    redis.call('ZREM', FINISHED, member)
  end
  return #due
end

-- The statuses a job ends in: only such a job may be deleted.
local FINISHED_STATUSES = { succeeded = true, failed = true, cancelled = true }

-- Deletes a finished job for good: its keys, and its entries in every index (its type, its status,
-- its tags, the finished index, the queue's dead letters) and its idempotency key when that still
-- names it. The caller has checked that the job is finished (its message ended: no worker holds it).
local function delete_finished(id, status, job_type, tags, idem)
  redis.call('DEL', job_key(id), payload_key(id), result_key(id))
  if INDEXED[status] then redis.call('ZREM', status_key(status), id) end
  redis.call('ZREM', type_key(job_type), id)
  unindex_tags(id, tags)
  redis.call('ZREM', FINISHED, finished_member(id, status, job_type, tags))
  redis.call('ZREM', QUEUE_DEAD, id)
  if idem and redis.call('GET', idem_key(idem)) == id then redis.call('DEL', idem_key(idem)) end
end

-- The indexes a walk over the jobs of a filter reads: the smallest of the indexes that hold every
-- job of the filter (the status's when it has one, the type's, the tag's), or, when none applies,
-- every type index (every job is in the index of its type), merged by id.
local function filter_sources(status, job_type, tag)
  local candidates = {}
  if INDEXED[status] then candidates[#candidates + 1] = status_key(status) end
  if job_type ~= '' then candidates[#candidates + 1] = type_key(job_type) end
  if tag ~= '' then candidates[#candidates + 1] = tag_key(tag) end
  if #candidates == 0 then
    local sources = {}
    for i, t in ipairs(redis.call('SMEMBERS', TYPES)) do sources[i] = type_key(t) end
    return sources
  end
  local best, best_size = nil, nil
  for _, key in ipairs(candidates) do
    local size = redis.call('ZCARD', key)
    if best == nil or size < best_size then best, best_size = key, size end
  end
  return { best }
end
