--[[
  Shared by every TaskQueue script; prepended after the caller's hooks chunk (which defines HOOKS).

  KEYS (the same for every script, all in the queue's hash tag):
    1 ready    LIST  ids waiting, FIFO (RPUSH in, LPOP out)
    2 delayed  ZSET  id -> due time (ms)
    3 leased   ZSET  id -> lease expiry (ms)
    4 dead     ZSET  id -> time dead-lettered (ms)
    5 paused   STRING present while paused
    6 cancel   SET   ids of leased messages asked to stop
    7 stats    HASH  running totals: put, acked, retried, dead, expired, released
    8 wake     LIST  tokens that wake idle consumers blocked in BLPOP
    9 waiters  ZSET  consumers blocked waiting for work, member '<slot>\n<count>\n<lease ms>\n<consumer>',
                     score: when the wait ends (ms); put, nack and release lease messages
                     to them directly
  A waiter's inbox, LIST `<base>:inbox:<slot>`, receives what was leased to it: one item per hand-off,
  the messages framed as '<byte length>:<bytes>' fields, five per message (id, payload, attempt, max
  attempts, token). The slot is the waiting reserve call's token prefix, so it is unique.
  ARGV[1] is always the key base `{prefix:queue}`; a message lives in HASH `<base>:m:<id>` with
  fields p (payload), a (attempts started), m (max attempts), t (lease token), c (consumer), r (reason).
]]
local K_READY, K_DELAYED, K_LEASED, K_DEAD = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_PAUSED, K_CANCEL, K_STATS, K_WAKE = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local K_WAITERS = KEYS[9]
local BASE = ARGV[1]

-- Redis server time, so every consumer shares one clock.
local NOW = (function()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end)()

local function msg_key(id)
  return BASE .. ':m:' .. id
end

local function decode_vars(json)
  if json == nil or json == '' then return {} end
  return cjson.decode(json)
end

-- Calls the caller's hook `name` if it defines one; returns what the hook returns.
local function call_hook(name, id, ctx)
  local fn = HOOKS[name]
  if fn == nil then return nil end
  ctx.now = NOW
  if ctx.vars == nil then ctx.vars = {} end
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

-- Leases message `id` to `consumer` under `token` until NOW + lease_ms (the reserve hook runs too).
-- Returns its payload, attempt and max attempts; nil when the id has no message (removed meanwhile).
local function lease_one(id, token, lease_ms, consumer)
  local key = msg_key(id)
  local fields = redis.call('HMGET', key, 'p', 'm', 'a')
  if not fields[1] then return nil end
  local attempt = (tonumber(fields[3]) or 0) + 1
  redis.call('HSET', key, 'a', attempt, 't', token, 'c', consumer)
  redis.call('ZADD', K_LEASED, NOW + lease_ms, id)
  call_hook('reserve', id, { token = token, attempt = attempt, consumer = consumer })
  return fields[1], attempt, fields[2]
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

-- `n` messages have just joined the ready list: consumers waiting for work get them leased directly
-- (unless the queue is paused), and consumers that are only blocked are woken for the rest.
local function offer(n)
  if n <= 0 then return end
  local handed = 0
  if redis.call('EXISTS', K_WAITERS) == 1 and redis.call('EXISTS', K_PAUSED) == 0 then
    handed = hand_off(n)
  end
  wake(n - handed)
end

-- Whether any leased message was asked to stop: read once per script call, so that the common case
-- (no cancellation at all) spends no SREM per acknowledged message.
local cancel_pending = nil
local function any_cancel()
  if cancel_pending == nil then cancel_pending = redis.call('EXISTS', K_CANCEL) == 1 end
  return cancel_pending
end

-- The fence: the message is leased and its token is `token`. Returns its key, or nil when stale.
-- Every step that ends or hands back a lease (ack, nack, expiry, release, dead-lettering) removes the
-- token with it, so a matching token is a held lease: no need to look at the leased set as well.
local function held_lease(id, token)
  local key = msg_key(id)
  if redis.call('HGET', key, 't') ~= token then return nil end
  return key
end

-- Removes dead letters older than `retention_ms`, a few at a time, with their message hashes.
local function trim_dead(retention_ms)
  local old = redis.call('ZRANGEBYSCORE', K_DEAD, '-inf', NOW - retention_ms, 'LIMIT', 0, 10)
  for _, id in ipairs(old) do
    redis.call('DEL', msg_key(id))
    redis.call('ZREM', K_DEAD, id)
  end
end

-- Moves a message whose lease is held (or just expired) to the dead set, calling the dead hook.
local function bury(id, key, attempt, token, reason, vars)
  call_hook('dead', id, { token = token, attempt = attempt, reason = reason, vars = vars })
  redis.call('ZREM', K_LEASED, id)
  redis.call('SREM', K_CANCEL, id)
  redis.call('ZADD', K_DEAD, NOW, id)
  redis.call('HSET', key, 'r', reason)
  redis.call('HDEL', key, 't', 'c')
  redis.call('HINCRBY', K_STATS, 'dead', 1)
end

-- Acknowledges one lease: hook first (reads only were done before), then the queue's own writes.
-- Returns 1 when acknowledged, 0 when the token is stale.
local function ack_one(id, token, vars_json, hook)
  local key = msg_key(id)
  local fields = redis.call('HMGET', key, 't', 'a')
  if fields[1] ~= token then return 0 end
  if hook == nil or hook == '' then hook = 'ack' end
  call_hook(hook, id, { token = token, attempt = tonumber(fields[2]), vars = decode_vars(vars_json) })
  redis.call('ZREM', K_LEASED, id)
  if any_cancel() then redis.call('SREM', K_CANCEL, id) end
  redis.call('DEL', key)
  return 1
end
