--[[
  dependencies: what a job's dependencies came to, in one call: for each (in the order submitted)
  its status, its result when it succeeded, its error when it failed or was cancelled.

  KEYS: 1 the job's record (<BASE>:job:<id>)
  Returns: nil when the job does not exist; else a flat array, four values per dependency:
           id, status ('' when its record is gone), result text (the record's or the long one's;
           '' when none), error JSON ('' when none)
]]
local deps = redis.call('HGET', KEYS[1], 'D')
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local out = {}
for dep in string.gmatch(deps or '', '%S+') do
  local f = redis.call('HMGET', job_key(dep), 's', 'x', 'e')
  local result = f[2]
  if f[1] == 'succeeded' and not result then result = redis.call('GET', result_key(dep)) end
  out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] = dep, f[1] or '', result or '', f[3] or ''
end
return out
