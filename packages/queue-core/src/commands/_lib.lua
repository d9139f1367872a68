--[[
  Shared by every TaskQueue function; it follows the caller's hooks chunk (which defines HOOKS) in
  the library that _scripts.ts composes, and precedes the commands.

  Keys (the same for every script, all in the queue's hash tag, named `<base>:<name>` from ARGV[1];
  a call declares one key, the base itself, which has the same hash tag, so that Redis Cluster
  routes it to the queue's slot without fourteen key names in every command; the names here must
  match `queueKeys` in _keys.ts, which reads the same keys outside scripts):
    1 ready    LIST  ids waiting, FIFO (RPUSH in, LPOP out)
    2 delayed  ZSET  id -> due time (ms)
    3 leased   ZSET  id -> lease expiry (ms)
    4 dead     ZSET  id -> time dead-lettered (ms)
    5 paused   STRING present while paused
    6 cancel   SET   ids of leased messages asked to stop
    7 stats    HASH  running totals: put, acked, retried, dead, expired, released; the same counts
                     per minute go to HASH `<base>:tp:<minute since the epoch>`, kept for 65 minutes
                     (see tally)
    8 wake     LIST  tokens that wake idle consumers blocked in BLPOP
    9 waiters  ZSET  consumers blocked waiting for work, member '<slot>\n<count>\n<lease ms>\n<consumer>',
                     score: when the wait ends (ms); put, nack and release lease messages
                     to them directly
   10 limits   HASH  the limits in force (see _sched.lua)
   11 groups   ZSET  the groups of ready jobs on the scheduled path (see _sched.lua)
   12 prio     STRING present while delayed jobs with a priority may wait (see _sched.lua)
   13 schedules ZSET schedule id -> its next due time (ms), for every schedule that will make more
                     occurrences (not paused, not ended; see _repeat.lua)
   14 blocked  ZSET  id -> put time, the messages waiting on dependencies (see _deps.lua)
  A waiter's inbox, LIST `<base>:inbox:<slot>`, receives what was leased to it: one item per hand-off,
  the messages framed as '<byte length>:<bytes>' fields, five per message (id, payload, attempt, max
  attempts, token). The slot is the waiting reserve call's token prefix, so it is unique.
  ARGV[1] is always the key base `{prefix:queue}`.

  One hash per message, `<base>:job:<id>`, shared with the hooks' record of it (jobs-store's job
  record): queue-core owns the upper-case fields, the hooks the lower-case ones.
    P payload (when at most INLINE_PAYLOAD_MAX bytes; a longer one is STRING `<base>:payload:<id>`,
      so that the hash keeps Redis's compact listpack encoding), A attempts started, M max attempts,
    T lease token ('' or absent: not leased), C consumer of the last lease, R why dead-lettered,
    E '1' once the message has ended (acked, dead-lettered, cancelled or removed) while its hash lives
      on as the hooks' record: a put of that id revives it.
    S its score: its place among the ready jobs (see _sched.lua), Y its priority (absent: 0),
    L its group (the limit scopes it counts against, joined by spaces), K the scopes whose
      concurrency its current lease counts against (see _sched.lua).
    D, W, F, U, N, O: its dependencies and what waits on it (see _deps.lua).
  Without `HOOKS.keep_records` a message that ends is deleted with its payload (dead letters stay
  until trim_dead). With it, the hash and the payload are the hooks' to expire or delete.
]]
-- The call's keys and clock: set by begin() at the start of every call (the library is loaded once
-- and its functions run many times, so nothing of one call may leak into the next).
local K_READY, K_DELAYED, K_LEASED, K_DEAD, K_PAUSED, K_CANCEL, K_STATS, K_WAKE, K_WAITERS
local K_LIMITS, K_GROUPS, K_PRIO, K_SCHEDULES, K_BLOCKED
local BASE, NOW
-- The minute of the last throughput count and its hash's name (see tally); begin forgets them for another queue.
local minute_of, minute_key
-- Whether any leased message was asked to stop: read at most once per call (see any_cancel).
local cancel_pending = nil
-- What _sched.lua learns once per call: whether the scheduled path is on (nil: not looked at yet),
-- whether consumers wait for work, whether the queue is paused, the ageing, the limits in force and
-- the starts and running leases counted so far per limited scope.
local sched_on, waiters_on, paused_on = nil, false, false
local ageing, limits = nil, nil
local rate_count, run_count = {}, {}

-- The start of every call: its keys, Redis server time (so every consumer shares one clock), and the
-- hooks' own per-call state.
local function begin(_, args)
  -- The key names are made again only for another queue than the last call's (one library serves
  -- every queue of the same hooks on the server).
  if args[1] ~= BASE then
    BASE = args[1]
    local b = BASE .. ':'
    K_READY, K_DELAYED, K_LEASED, K_DEAD = b .. 'ready', b .. 'delayed', b .. 'leased', b .. 'dead'
    K_PAUSED, K_CANCEL, K_STATS, K_WAKE, K_WAITERS = b .. 'paused', b .. 'cancel', b .. 'stats', b .. 'wake', b .. 'waiters'
    K_LIMITS, K_GROUPS, K_PRIO, K_SCHEDULES, K_BLOCKED = b .. 'limits', b .. 'groups', b .. 'prio', b .. 'schedules', b .. 'blocked'
    minute_of = nil
  end
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  cancel_pending = nil
  sched_on, waiters_on, paused_on = nil, false, false
  ageing, limits = nil, nil
  -- Emptied only when a call used them (the scheduled path): no new tables on every call.
  if next(rate_count) ~= nil then rate_count = {} end
  if next(run_count) ~= nil then run_count = {} end
  if HOOKS.before then HOOKS.before(NOW) end
end

-- The end of every call: the hooks write what they batched during it.
local function finish()
  if HOOKS.after then HOOKS.after() end
end

-- What the hooks declare about themselves (see hooks.ts): whether their record outlives the message,
-- and which of their fields the lease steps read for them, in the queue's own read of the hash.
local KEEP_RECORDS = HOOKS.keep_records == true
local HOOK_FIELDS = HOOKS.fields or {}
local INLINE_PAYLOAD_MAX = 64

-- Adds to a running total and to its minute's count: `<base>:tp:<minute>`, a bounded ring (each
-- minute's hash expires 65 minutes after its first count), so that a dashboard has the last hour's
-- throughput the moment it opens, the same through every API process.
local MINUTE_TTL_MS = 65 * 60000
local function tally(name, n)
  redis.call('HINCRBY', K_STATS, name, n)
  local m = math.floor(NOW / 60000)
  if m ~= minute_of then minute_of, minute_key = m, BASE .. ':tp:' .. m end
  if redis.call('HINCRBY', minute_key, name, n) == n then redis.call('PEXPIRE', minute_key, MINUTE_TTL_MS) end
end

local function job_key(id)
  return BASE .. ':job:' .. id
end

local function payload_key(id)
  return BASE .. ':payload:' .. id
end

-- The fields one read of a message asks for: the queue's `names`, then the hooks' HOOK_FIELDS. The
-- steps every message takes (put, lease, acknowledgement) make theirs once, when the library loads.
local function fields_to_read(names)
  local all = {}
  for i = 1, #names do all[i] = names[i] end
  for i = 1, #HOOK_FIELDS do all[#names + i] = HOOK_FIELDS[i] end
  return { all = all, n = #names }
end

-- One HMGET of what fields_to_read made `read` of: the queue's values in order, and the hooks' as a
-- table by field name (ctx.record).
local function read_message(key, read)
  if #read.all == 0 then return {}, {} end
  local values = redis.call('HMGET', key, unpack(read.all))
  local record = {}
  for i = 1, #HOOK_FIELDS do
    local value = values[read.n + i]
    if value then record[HOOK_FIELDS[i]] = value end
  end
  return values, record
end

-- The reads of the steps every message takes: its put, its lease and its acknowledgement.
local READ_PUT = fields_to_read({ 'A', 'E' })
local READ_LEASE = fields_to_read({ 'M', 'E', 'A', 'P' })
local READ_ACK = fields_to_read({ 'T', 'A', 'K', 'N' })

-- Writes the queue's `fields` (a flat field, value list) and what the step's hook asked to write
-- (ctx.writes) in one HSET.
local function write_message(key, fields, writes)
  for i = 1, #writes do fields[#fields + 1] = writes[i] end
  redis.call('HSET', key, unpack(fields))
end

-- Defined in _deps.lua, called when a message that something waits on ends.
local settle_waiters

-- A message that ended for good (acked, cancelled, removed): deleted with its payload, unless the
-- hooks keep it as their record, which then only loses its lease and is marked ended (with
-- `outcome`, 'cancelled', when it did not succeed: a later dependency on it reads it).
local function end_message(id, key, writes, outcome)
  if KEEP_RECORDS then
    local fields = { 'T', '', 'E', '1' }
    if outcome then fields[5], fields[6] = 'O', outcome end
    write_message(key, fields, writes)
  else
    redis.call('DEL', key, payload_key(id))
  end
end

local function decode_vars(json)
  if json == nil or json == '' then return {} end
  return cjson.decode(json)
end

-- Calls the caller's hook `name` if it defines one; returns what the hook returns.
-- ctx.writes collects the hash fields the hook wants written with the queue's own (see write_message).
local function call_hook(name, id, ctx)
  if ctx.vars == nil then ctx.vars = {} end
  if ctx.record == nil then ctx.record = {} end
  ctx.writes = {}
  local fn = HOOKS[name]
  if fn == nil then return nil end
  ctx.now = NOW
  return fn(id, ctx)
end

-- Wakes up to `n` consumers blocked on the wake list. The list never holds more than 16 tokens: while
-- every consumer is busy it fills up once, and later puts only look at its length.
local function wake(n)
  if n <= 0 then return end
  local room = 16 - redis.call('LLEN', K_WAKE)
  if n > room then n = room end
  if n <= 0 then return end
  local tokens = {}
  for i = 1, n do tokens[i] = '1' end
  redis.call('LPUSH', K_WAKE, unpack(tokens))
end

-- A lease counted against concurrency limits (`counted`: their scopes, field K) gives its slots back,
-- and an idle consumer is woken to use them.
local function free_slots(id, counted)
  if not counted or counted == '' then return end
  for scope in string.gmatch(counted, '%S+') do redis.call('SREM', BASE .. ':run:' .. scope, id) end
  wake(1)
end

-- Leases message `id` to `consumer` under `token` until NOW + lease_ms (the reserve hook runs too).
-- Returns its payload, attempt and max attempts; nil when the id has no message (removed meanwhile).
local function lease_one(id, token, lease_ms, consumer, counted)
  local key = job_key(id)
  local fields, record = read_message(key, READ_LEASE)
  if not fields[1] or fields[2] == '1' then return nil end
  local payload = fields[4] or redis.call('GET', payload_key(id))
  local attempt = (tonumber(fields[3]) or 0) + 1
  local ctx = { token = token, attempt = attempt, consumer = consumer, record = record }
  call_hook('reserve', id, ctx)
  local writes = { 'A', attempt, 'T', token, 'C', consumer }
  -- On the scheduled path: the scopes whose concurrency this lease counts against, given back when it ends.
  if counted then writes[7], writes[8] = 'K', counted end
  write_message(key, writes, ctx.writes)
  redis.call('ZADD', K_LEASED, NOW + lease_ms, id)
  return payload, attempt, fields[1]
end

-- Appends a leased message to a reserve's reply, five fields per message (see reserve.lua).
local function push_message(out, id, payload, attempt, max, token)
  out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4], out[#out + 5] = id, payload, attempt, max, token
end

-- The inbox of the waiter whose entry starts with `slot`.
local function inbox_key(slot)
  return BASE .. ':inbox:' .. slot
end

-- Appends `value` to `frames` as one '<byte length>:<bytes>' field of an inbox item.
local function frame(frames, value)
  value = tostring(value)
  frames[#frames + 1] = #value .. ':' .. value
end

-- Appends the fields framed in inbox `item` to the flat array `out`.
local function unframe(item, out)
  local pos = 1
  while pos <= #item do
    local colon = string.find(item, ':', pos, true)
    local length = tonumber(string.sub(item, pos, colon - 1))
    out[#out + 1] = string.sub(item, colon + 1, colon + length)
    pos = colon + length + 1
  end
end

-- Hands up to `n` messages from the head of the ready list straight to consumers blocked waiting for
-- work, leased as reserve leases them: the waiter's blocking read returns them, so a message put on
-- an idle queue reaches a consumer without a second round trip. A waiter whose wait has ended is
-- dropped (it reserves the usual way). Returns how many messages left the ready list.
local function hand_off(n)
  local handed = 0
  while handed < n do
    local popped = redis.call('ZPOPMIN', K_WAITERS)
    if popped[1] == nil then break end
    local waiter, deadline = popped[1], tonumber(popped[2])
    if deadline >= NOW then
      local slot, want, lease_ms, consumer = string.match(waiter, '^([^\n]+)\n(%d+)\n(%d+)\n(.*)$')
      local ids = redis.call('LPOP', K_READY, math.min(tonumber(want), n - handed))
      if not ids then
        redis.call('ZADD', K_WAITERS, deadline, waiter)
        break
      end
      handed = handed + #ids
      local frames, leased = {}, 0
      for _, id in ipairs(ids) do
        local token = slot .. ':' .. (leased + 1)
        local payload, attempt, max = lease_one(id, token, tonumber(lease_ms), consumer)
        if payload then
          leased = leased + 1
          frame(frames, id)
          frame(frames, payload)
          frame(frames, attempt)
          frame(frames, max)
          frame(frames, token)
        end
      end
      if leased > 0 then
        local inbox = inbox_key(slot)
        redis.call('RPUSH', inbox, table.concat(frames))
        -- Should the waiter have died, the item goes when its leases have expired anyway.
        redis.call('PEXPIRE', inbox, lease_ms)
      else
        redis.call('ZADD', K_WAITERS, deadline, waiter)
      end
    end
  end
  return handed
end

-- Whether any leased message was asked to stop, looked up once per call, so that the common case (no
-- cancellation at all) spends no SREM per acknowledged message.
local function any_cancel()
  if cancel_pending == nil then cancel_pending = redis.call('EXISTS', K_CANCEL) == 1 end
  return cancel_pending
end

-- The fence: the message is leased and its token is `token`. Every step that ends or hands back a
-- lease (ack, nack, expiry, release, dead-lettering) clears the token with it, so a matching token is
-- a held lease: no need to look at the leased set as well. Returns the key, the queue's fields
-- `read` (made by fields_to_read of a list that starts with 'T') and the hooks' record; nil when stale.
local function held_lease(id, token, read)
  local key = job_key(id)
  local fields, record = read_message(key, read)
  if fields[1] ~= token or token == '' then return nil end
  return key, fields, record
end

-- Removes dead letters older than `retention_ms` from the dead set, a few at a time, with their
-- hashes unless those are the hooks' records (whose retention is the hooks' own).
local function trim_dead(retention_ms)
  local old = redis.call('ZRANGEBYSCORE', K_DEAD, '-inf', NOW - retention_ms, 'LIMIT', 0, 10)
  for _, id in ipairs(old) do
    if not KEEP_RECORDS then redis.call('DEL', job_key(id), payload_key(id)) end
    redis.call('ZREM', K_DEAD, id)
  end
end

-- The steps that end a lease, each written once. Callers have looked at the cancel set already: a
-- message in it ends through end_cancelled, so the others need not remove it from there.

-- Ends the lease of message `id` (hash `key`) and revokes its token, writing `fields` and the hook's
-- `writes` with it: from here on no step of that lease passes the fence.
local function revoke_lease(id, key, fields, writes)
  redis.call('ZREM', K_LEASED, id)
  fields[#fields + 1] = 'T'
  fields[#fields + 1] = ''
  write_message(key, fields, writes)
end

-- A leased message that someone asked to stop ends here, through the cancel hook. `waited_on`: its
-- field N, which the caller read with its others (something waits on it).
local function end_cancelled(id, key, token, attempt, reason, vars, record, waited_on)
  local ctx = { token = token, attempt = attempt, reason = reason, vars = vars, record = record }
  call_hook('cancel', id, ctx)
  redis.call('ZREM', K_LEASED, id)
  redis.call('SREM', K_CANCEL, id)
  end_message(id, key, ctx.writes, 'cancelled')
  if waited_on == '1' then settle_waiters(id, 'cancelled') end
end

-- Moves a message whose lease is held (or just expired) to the dead set, calling the dead hook.
-- `waited_on` as for end_cancelled.
local function bury(id, key, attempt, token, reason, vars, record, waited_on)
  local ctx = { token = token, attempt = attempt, reason = reason, vars = vars, record = record }
  call_hook('dead', id, ctx)
  revoke_lease(id, key, { 'R', reason, 'E', '1', 'O', 'dead' }, ctx.writes)
  redis.call('ZADD', K_DEAD, NOW, id)
  tally('dead', 1)
  if waited_on == '1' then settle_waiters(id, 'dead') end
end

-- Acknowledges one lease: hook first (reads only were done before), then the queue's own writes.
-- Returns 1 when acknowledged, 0 when the token is stale.
local function ack_one(id, token, vars_json, hook)
  local key, fields, record = held_lease(id, token, READ_ACK)
  if not key then return 0 end
  if hook == nil or hook == '' then hook = 'ack' end
  local ctx = { token = token, attempt = tonumber(fields[2]), vars = decode_vars(vars_json), record = record }
  call_hook(hook, id, ctx)
  redis.call('ZREM', K_LEASED, id)
  free_slots(id, fields[3])
  if any_cancel() then redis.call('SREM', K_CANCEL, id) end
  end_message(id, key, ctx.writes)
  if fields[4] == '1' then settle_waiters(id, nil) end
  return 1
end
