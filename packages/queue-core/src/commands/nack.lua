--[[
  nack: a leased message failed. It is retried after a delay, or dead-lettered when asked to or when
  this was its last attempt. Fenced by the token.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 token, 4 delay ms, 5 '1' to dead-letter now, 6 reason, 7 vars (JSON or ''),
        8 dead retention ms
  Returns: 'retry' | 'dead' | 'cancelled' (someone asked it to stop: it ends here) | 'stale'
]]
local id, token = ARGV[2], ARGV[3]
local delay, force_dead, reason = tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6]
local key = held_lease(id, token)
if key == nil then return 'stale' end
local fields = redis.call('HMGET', key, 'a', 'm')
local attempt, max = tonumber(fields[1]) or 0, tonumber(fields[2]) or 1
local vars = decode_vars(ARGV[7])
if redis.call('SISMEMBER', K_CANCEL, id) == 1 then
  -- A stop was asked for while it ran: honour it rather than retry or dead-letter it.
  call_hook('cancel', id, { token = token, attempt = attempt, reason = 'cancelled while running', vars = vars })
  redis.call('ZREM', K_LEASED, id)
  redis.call('SREM', K_CANCEL, id)
  redis.call('DEL', key)
  return 'cancelled'
end
if force_dead or attempt >= max then
  bury(id, key, attempt, token, reason, vars)
  trim_dead(tonumber(ARGV[8]))
  return 'dead'
end
local due = NOW + delay
call_hook('retry', id, { token = token, attempt = attempt, reason = reason, dueAt = due, vars = vars })
redis.call('ZREM', K_LEASED, id)
redis.call('SREM', K_CANCEL, id)
redis.call('HDEL', key, 't', 'c')
if delay > 0 then
  redis.call('ZADD', K_DELAYED, due, id)
else
  redis.call('RPUSH', K_READY, id)
  offer(1)
end
redis.call('HINCRBY', K_STATS, 'retried', 1)
return 'retry'
