--[[
  schedule_set: creates or replaces a schedule (_repeat.lua). The same definition again changes
  nothing (its state, next due time included, stays). A new definition keeps the state (occurrences
  made, the last due time handled, paused) and takes effect from its next due time: never a slot at
  or before one already handled, never one in the past. The hook's check (`check_<hook>`) sees the
  occurrences' vars first: a refusal writes nothing.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 definition (JSON, as TaskQueue reads it back), 4 stem, 5 payload,
        6 max attempts, 7 vars (JSON or ''), 8 hook ('' = put), 9 priority, 10 group,
        11 every ms ('' for cron), 12 first slot ms of an interval ('' = one interval from now),
        13 end ms (''), 14 limit (''), 15 misfire runs (0 skip, n), 16 overlap ('skip' | 'allow'),
        17 cron due times, ms, ascending, joined by spaces ('' for an interval), 18 '1' when
        those are all the times left before the end
  Returns: { 'created' | 'replaced' | 'unchanged', the schedule's hash (flat) }
           or an error reply `HOTQ_REFUSED 0 <why>` when the hook's check refuses
]]
local id, def, stem = ARGV[2], ARGV[3], ARGV[4]
local hook = ARGV[8]
if hook == '' then hook = 'put' end
local problem = call_hook('check_' .. hook, occurrence_id(stem, NOW), { attempt = 0, vars = decode_vars(ARGV[7]) })
if problem ~= nil then return redis.error_reply('HOTQ_REFUSED 0 ' .. tostring(problem)) end

local key = schedule_key(id)
local old = read_schedule(id)
if old and old.def == def then return { 'unchanged', redis.call('HGETALL', key) } end

local every = ARGV[11]
local s = {
  id = id, last = old and old.last, paused = old and old.paused, n = old and old.n or '0',
  every = every ~= '' and every or nil, ['end'] = ARGV[13] ~= '' and ARGV[13] or nil,
  limit = ARGV[14] ~= '' and ARGV[14] or nil, complete = ARGV[18] == '1' and '1' or nil,
}
if s.every then
  s.anchor = ARGV[12] ~= '' and ARGV[12] or string.format('%.0f', NOW + tonumber(every))
end
local due, times = first_due(s, parse_times(ARGV[17]))
local fields = {
  'def', def, 'stem', stem, 'P', ARGV[5], 'M', ARGV[6], 'V', ARGV[7], 'H', ARGV[8], 'Y', ARGV[9], 'L', ARGV[10],
  'mf', ARGV[15], 'ov', ARGV[16], 'n', s.n, 'ver', (tonumber(old and old.ver) or 0) + 1,
}
for _, name in ipairs({ 'every', 'anchor', 'end', 'limit', 'last', 'paused', 'complete' }) do
  if s[name] then fields[#fields + 1], fields[#fields + 2] = name, s[name] end
end
if old and old.job then fields[#fields + 1], fields[#fields + 2] = 'job', old.job end
redis.call('DEL', key)
redis.call('HSET', key, unpack(fields))
redis.call('ZADD', schedule_ids_key(), 0, id)
local set, del = plan_next(s, due, times)
write_schedule(s, set, del)
-- An idle consumer sleeps until the next due time it knew of: wake one to learn of this one.
wake(1)
return { old and 'replaced' or 'created', redis.call('HGETALL', key) }
