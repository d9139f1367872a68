--[[
  release: a consumer hands leases back without running them (graceful shutdown). The message goes
  to the front of the ready list and the attempt does not count.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 count, then per lease: id, token
  Returns: how many leases were released (stale ones are skipped; one that someone asked to stop
           ends there, through the cancel hook, instead of going back to the queue)
]]
local count = tonumber(ARGV[2])
local released = 0
for i = 0, count - 1 do
  local id, token = ARGV[3 + i * 2], ARGV[4 + i * 2]
  local key = held_lease(id, token)
  if key and redis.call('SISMEMBER', K_CANCEL, id) == 1 then
    call_hook('cancel', id, { token = token, attempt = tonumber(redis.call('HGET', key, 'a')), reason = 'cancelled before it finished' })
    redis.call('ZREM', K_LEASED, id)
    redis.call('SREM', K_CANCEL, id)
    redis.call('DEL', key)
  elseif key then
    local attempt = tonumber(redis.call('HGET', key, 'a')) - 1
    call_hook('release', id, { token = token, attempt = attempt })
    redis.call('HSET', key, 'a', attempt)
    redis.call('HDEL', key, 't', 'c')
    redis.call('ZREM', K_LEASED, id)
    redis.call('SREM', K_CANCEL, id)
    redis.call('LPUSH', K_READY, id)
    released = released + 1
  end
end
if released > 0 then
  redis.call('HINCRBY', K_STATS, 'released', released)
  offer(released)
end
return released
