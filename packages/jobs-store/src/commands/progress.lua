--[[
  progress: records a running job's progress and tells watchers, fenced by the queue's lease token
  (field T of the job's hash).

  KEYS: 1 the job's record (<BASE>:job:<id>)
  ARGV: 1 id, 2 lease token, 3 progress (JSON: a number 0..100 or a small object, checked by the caller)
  Returns: 1 recorded, 0 refused (no record, not running, or another lease's token): nothing written
]]
local id, token, progress = ARGV[1], ARGV[2], ARGV[3]
local f = redis.call('HMGET', KEYS[1], 's', 'T')
if f[1] ~= 'running' or f[2] ~= token then return 0 end
redis.call('HSET', KEYS[1], 'p', progress)
publish('{"id":"' .. id .. '","progress":' .. progress .. '}')
return 1
