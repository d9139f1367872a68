--[[
  schedule_refill: more due times for a cron schedule whose list runs low (TaskQueue computes them
  with the cron library; Lua cannot). Idempotent: the times are merged into the list, those at or
  before the last slot handled are dropped, so a refill sent twice, or by two consumers at once,
  changes nothing more. Times computed for an older definition are refused.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 the definition version they were computed for, 4 due times after the
        schedule's `from`, ms, ascending, joined by spaces, 5 '1' when these are all the times
        left before the schedule's end
  Returns: 1 applied, 0 stale (no such schedule, or another definition since)
]]
local id = ARGV[2]
local s = read_schedule(id)
if s == nil or s.every then
  redis.call('SREM', refill_key(), id)
  return 0
end
-- Computed for an older definition: the new one came with times of its own.
if s.ver ~= ARGV[3] then return 0 end
s.id = id
local last = tonumber(s.last) or -1
local seen, merged = {}, {}
for _, list in ipairs({ parse_times(s.times), parse_times(ARGV[4]) }) do
  for _, t in ipairs(list) do
    if t > last and not seen[t] then
      seen[t] = true
      merged[#merged + 1] = t
    end
  end
end
table.sort(merged)
-- All the times left are known only if none of them is dropped here.
local complete = ARGV[5] == '1' and #merged <= CRON_TIMES_KEPT
while #merged > CRON_TIMES_KEPT do table.remove(merged) end
if complete then
  s.complete = '1'
  redis.call('HSET', schedule_key(id), 'complete', '1')
end
local set, del = plan_next(s, merged[1], merged)
write_schedule(s, set, del)
wake(1)
return 1
