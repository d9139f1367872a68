--[[
  Shared by the hooks chunk and every jobs-store script. Prepended after a header (written by
  _scripts.ts) that defines BASE, the key base `{prefix:queue}`, and RETENTION_MS, how long finished
  jobs are kept.

  Keys, all in BASE's hash tag (one Redis Cluster slot, shared with the TaskQueue):
    <BASE>:job:<id>     HASH     the record, fields below
    <BASE>:params:<id>  STRING   params, JSON (apart, so the record stays a small listpack)
    <BASE>:result:<id>  STRING   'j' .. JSON, or 'b' .. content type .. '\n' .. base64 of the bytes
    <BASE>:status:<s>   ZSET     score 0, member id: the jobs in status s, in id (= creation) order;
                                 lists by status, and its ZCARD is the count by status
    <BASE>:type:<t>     ZSET     score 0, member id: the jobs of type t
    <BASE>:finished     ZSET     member '<id>:<status>:<type>', score: when its retention ends (ms)
    <BASE>:idem:<h>     STRING   the id an idempotency key names (h: the key's hash, from TypeScript)
    <BASE>:events       channel  PUBLISH '{"id":..,"status":..}' and '{"id":..,"progress":..}'
  Record fields (short names, short values: the hash stays a listpack):
    t type, s status, a attempts, m max attempts, o timeout ms, c created, r started, f finished
    (times: ms of Redis time), p progress JSON, e error JSON, w worker, k lease token,
    i idempotency key hash
]]
local EVENTS = BASE .. ':events'
local FINISHED = BASE .. ':finished'

local function job_key(id) return BASE .. ':job:' .. id end
local function params_key(id) return BASE .. ':params:' .. id end
local function result_key(id) return BASE .. ':result:' .. id end
local function status_key(status) return BASE .. ':status:' .. status end
local function type_key(job_type) return BASE .. ':type:' .. job_type end
local function idem_key(hash) return BASE .. ':idem:' .. hash end

local STATUSES = { 'queued', 'delayed', 'running', 'succeeded', 'failed', 'cancelled' }

-- Redis server time in ms, for scripts that are not hooks (hooks get ctx.now).
local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Moves `id` from the index of status `from` (nil: none) to that of `to`, and tells watchers.
-- The two index writes are the "counts -1 / +1" of the transition.
local function index_status(id, from, to)
  if from then redis.call('ZREM', status_key(from), id) end
  redis.call('ZADD', status_key(to), 0, id)
  redis.call('PUBLISH', EVENTS, '{"id":"' .. id .. '","status":"' .. to .. '"}')
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
      redis.call('ZREM', status_key(status), id)
      redis.call('ZREM', type_key(job_type), id)
    end
    redis.call('ZREM', FINISHED, member)
  end
  return #due
end
