--[[
  reserve: acknowledges the leases passed in (so finishing one job and taking the next is one round
  trip), then, unless paused, promotes due delayed messages, reclaims expired leases, and leases up
  to `count` ready messages.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 count, 3 lease ms, 4 consumer, 5 token prefix, 6 dead retention ms,
        7 number of acks, then per ack 4 values: id, token, vars (JSON or ''), hook name ('' = ack)
  Returns: { acks: 1|0 per ack, messages: flat {id, payload, attempt, max, token} per message,
             hint: ms until the next delayed message is due or lease expires (-1 when none) }
]]
local count, lease_ms = tonumber(ARGV[2]), tonumber(ARGV[3])
local consumer, token_prefix = ARGV[4], ARGV[5]
local dead_retention = tonumber(ARGV[6])
local n_acks = tonumber(ARGV[7])

-- One look at both flags: in the common case (not paused, nothing asked to stop) that is all.
local paused = false
if redis.call('EXISTS', K_PAUSED, K_CANCEL) == 0 then
  cancel_pending = false
else
  paused = redis.call('EXISTS', K_PAUSED) == 1
end

local acks = {}
local acked = 0
for i = 0, n_acks - 1 do
  local o = 8 + i * 4
  local ok = ack_one(ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3])
  acks[#acks + 1] = ok
  acked = acked + ok
end
if acked > 0 then redis.call('HINCRBY', K_STATS, 'acked', acked) end

if paused or count <= 0 then
  return { acks, {}, 1000 }
end

-- Delayed messages that are due join the back of the ready list.
local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', NOW, 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  call_hook('promote', id, {})
  redis.call('ZREM', K_DELAYED, id)
  redis.call('RPUSH', K_READY, id)
end

-- Leases that ran out: the message comes back at the front, or is dead-lettered past its last attempt.
local expired = redis.call('ZRANGEBYSCORE', K_LEASED, '-inf', NOW, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  local key = msg_key(id)
  local fields = redis.call('HMGET', key, 'a', 'm', 't')
  local attempt, max, token = tonumber(fields[1]) or 0, tonumber(fields[2]) or 1, fields[3]
  if redis.call('SISMEMBER', K_CANCEL, id) == 1 then
    -- Asked to stop and its consumer vanished: end it as cancelled rather than run it again.
    call_hook('cancel', id, { token = token, attempt = attempt, reason = 'lease expired after cancellation' })
    redis.call('ZREM', K_LEASED, id)
    redis.call('SREM', K_CANCEL, id)
    redis.call('DEL', key)
  elseif attempt >= max then
    bury(id, key, attempt, token, 'lease expired on the last attempt (' .. attempt .. ' of ' .. max .. ')', {})
    trim_dead(dead_retention)
  else
    call_hook('expire', id, { token = token, attempt = attempt, reason = 'lease expired' })
    redis.call('ZREM', K_LEASED, id)
    redis.call('HDEL', key, 't', 'c')
    redis.call('LPUSH', K_READY, id)
    redis.call('HINCRBY', K_STATS, 'expired', 1)
  end
end

local messages = {}
local taken = 0
local ids = redis.call('LPOP', K_READY, count)
if ids then
  for _, id in ipairs(ids) do
    local key = msg_key(id)
    local fields = redis.call('HMGET', key, 'p', 'm', 'a')
    -- An id without its message was removed meanwhile: skip it.
    if fields[1] then
      taken = taken + 1
      local token = token_prefix .. ':' .. taken
      local attempt = (tonumber(fields[3]) or 0) + 1
      redis.call('HSET', key, 'a', attempt, 't', token, 'c', consumer)
      redis.call('ZADD', K_LEASED, NOW + lease_ms, id)
      call_hook('reserve', id, { token = token, attempt = attempt, consumer = consumer })
      messages[#messages + 1] = id
      messages[#messages + 1] = fields[1]
      messages[#messages + 1] = attempt
      messages[#messages + 1] = fields[2]
      messages[#messages + 1] = token
    end
  end
end

-- Idle consumers block until woken; tell them how long they may sleep at most.
local hint = -1
if taken < count then
  local next_due = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')
  local next_expiry = redis.call('ZRANGE', K_LEASED, 0, 0, 'WITHSCORES')
  for _, pair in ipairs({ next_due, next_expiry }) do
    if pair[2] then
      local wait = math.max(0, tonumber(pair[2]) - NOW)
      if hint < 0 or wait < hint then hint = wait end
    end
  end
end
return { acks, messages, hint }
