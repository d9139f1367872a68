--[[
  schedule_pause: a schedule makes no occurrence until resumed (its definition and state are kept).

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id
  Returns: the schedule's hash (flat; empty when there is no such schedule)
]]
local key = schedule_key(ARGV[2])
if redis.call('EXISTS', key) == 0 then return {} end
redis.call('HSET', key, 'paused', '1')
redis.call('ZREM', K_SCHEDULES, ARGV[2])
return redis.call('HGETALL', key)
