--[[
  Shared by the hooks chunk and every jobs-store script. Prepended after a header (written by
  _scripts.ts) that defines BASE, the key base `{prefix:queue}`, and RETENTION_MS, how long finished
  jobs are kept.

  Keys, all in BASE's hash tag (one Redis Cluster slot, shared with the TaskQueue):
    <BASE>:job:<id>     HASH     the record, fields below
    <BASE>:params:<id>  STRING   params, JSON (apart, so the record stays a small listpack)
    <BASE>:result:<id>  STRING   a result too long to sit in the record (field x): 'j' .. JSON, or
                                 'b' .. content type .. '\n' .. base64 of the bytes
    <BASE>:type:<t>     ZSET     score 0, member id: every job of type t, in id (= creation) order;
                                 the job list walks these, newest first
    <BASE>:types        SET      every type that has an index
    <BASE>:status:<s>   ZSET     score 0, member id: the jobs that failed (s = failed) or were
                                 cancelled (s = cancelled): the rare statuses a list must find fast
    <BASE>:finished     ZSET     member '<id>:<status>:<type>', score: when its retention ends (ms)
    <BASE>:moves        HASH     field '<from>><to>' (from '' for a new job): how many transitions
                                 went that way; a live status (queued, delayed, running) counts the
                                 moves into it less the moves out of it, one HINCRBY per transition
    <BASE>:idem:<h>     STRING   the id an idempotency key names (h: the key's hash, from TypeScript)
    <BASE>:events       channel  PUBLISH '{"id":..,"status":..}' and '{"id":..,"progress":..}', only
                                 while <BASE>:watched exists
    <BASE>:watched      STRING   present (with a short expiry, renewed) while a store watches jobs
  Jobs queued, delayed or running have no index of their own (they are counted by the moves, and
  found by walking the type indexes newest first, where live jobs are).
  Record fields (short names, short values: the hash stays a listpack):
    t type, s status, a attempts, m max attempts, o timeout ms, c created, r started, f finished
    (times: ms of Redis time), p progress JSON, e error JSON, w worker, k lease token,
    i idempotency key hash, x the result when it is short (as in <BASE>:result:<id>)
]]
local EVENTS = BASE .. ':events'
local FINISHED = BASE .. ':finished'
local TYPES = BASE .. ':types'
local MOVES = BASE .. ':moves'
local WATCHED = BASE .. ':watched'
-- A hash value longer than this turns the whole record from a listpack into a hash table (Redis's
-- default hash-max-listpack-value), which costs several times the memory.
local INLINE_RESULT_MAX = 64

local function job_key(id) return BASE .. ':job:' .. id end
local function params_key(id) return BASE .. ':params:' .. id end
local function result_key(id) return BASE .. ':result:' .. id end
local function status_key(status) return BASE .. ':status:' .. status end
local function type_key(job_type) return BASE .. ':type:' .. job_type end
local function idem_key(hash) return BASE .. ':idem:' .. hash end

local STATUSES = { 'queued', 'delayed', 'running', 'succeeded', 'failed', 'cancelled' }
-- The statuses with an index of their own.
local INDEXED = { failed = true, cancelled = true }

-- Redis server time in ms, for scripts that are not hooks (hooks get ctx.now).
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Publishes an event when someone watches (looked up once per script call): a queue nobody watches
-- spends nothing on events.
local watched = nil
local function publish(message)
  if watched == nil then watched = redis.call('EXISTS', WATCHED) == 1 end
  if watched then redis.call('PUBLISH', EVENTS, message) end
end

-- Moves counted in this script call, written by flush_moves (one HINCRBY per kind of move, not per job).
local pending_moves = {}
local function flush_moves()
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

local function finished_member(id, status, job_type)
  return id .. ':' .. status .. ':' .. job_type
end

-- Ends the retention of at most `limit` finished jobs whose time is up: their keys (if Redis has not
-- expired them already) and their index entries. A record that lives on without an expiry was
-- retried meanwhile and is left alone. Returns how many were purged.
local function purge_due(now, limit)
  local due = redis.call('ZRANGEBYSCORE', FINISHED, '-inf', now, 'LIMIT', 0, limit)
  for _, member in ipairs(due) do
    local id, status, job_type = string.match(member, '^([^:]+):([^:]+):(.+)$')
    if id and redis.call('PTTL', job_key(id)) ~= -1 then
      redis.call('DEL', job_key(id), params_key(id), result_key(id))
      if INDEXED[status] then redis.call('ZREM', status_key(status), id) end
      redis.call('ZREM', type_key(job_type), id)
    end
    redis.call('ZREM', FINISHED, member)
  end
  return #due
end
