--[[
  schedule_remove: deletes a schedule: no occurrence is made after this. Occurrences already made
  are messages like any other and stay.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id
  Returns: 1 deleted, 0 no such schedule
]]
local id = ARGV[2]
redis.call('ZREM', K_SCHEDULES, id)
redis.call('ZREM', schedule_ids_key(), id)
redis.call('SREM', refill_key(), id)
return redis.call('DEL', schedule_key(id))
