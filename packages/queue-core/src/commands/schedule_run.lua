--[[
  schedule_run: makes an occurrence of a schedule now ("run now"), whatever its times, pause, end,
  limit or overlap policy; it does not move the schedule's next due time nor count against its
  limit. Its id is derived from the schedule and this moment, like any occurrence's.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id
  Returns: {} when there is no such schedule, else { outcome ('queued' | 'exists' | 'refused'),
           occurrence id, due time ms, the hook's refusal }
]]
local id = ARGV[2]
local s = read_schedule(id)
if s == nil then return {} end
s.id = id
local occurrence = occurrence_id(s.stem, NOW)
local hook = s.H
if hook == nil or hook == '' then hook = 'put' end
local outcome, detail = add_message(occurrence, s.P, NOW, s.M, decode_vars(s.V), hook, s.Y, s.L or '', id)
if outcome == 'queued' then
  redis.call('HSET', schedule_key(id), 'job', occurrence)
  tally('put', 1)
  offer(1)
end
return { outcome, occurrence, string.format('%.0f', NOW), detail }
