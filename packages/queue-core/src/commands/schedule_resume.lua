--[[
  schedule_resume: a paused schedule goes on from its next due time after now: the slots that
  passed while it was paused are not made (they were not missed: nobody wanted them).

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 the definition version the times were computed for, 4 cron due times after
        now, ms, ascending, joined by spaces ('' for an interval), 5 '1' when those are all the
        times left before the end (both ignored when the version differs)
  Returns: the schedule's hash (flat; empty when there is no such schedule)
]]
local id = ARGV[2]
local s = read_schedule(id)
if s == nil then return {} end
s.id = id
if s.paused == '1' then
  s.paused = nil
  redis.call('HDEL', schedule_key(id), 'paused')
  local times = parse_times(s.times)
  if ARGV[3] == s.ver and not s.every then
    times = parse_times(ARGV[4])
    s.complete = ARGV[5] == '1' and '1' or nil
    if s.complete then redis.call('HSET', schedule_key(id), 'complete', '1') else redis.call('HDEL', schedule_key(id), 'complete') end
  end
  local due, kept = first_due(s, times)
  local set, del = plan_next(s, due, kept)
  write_schedule(s, set, del)
  wake(1)
end
return redis.call('HGETALL', schedule_key(id))
