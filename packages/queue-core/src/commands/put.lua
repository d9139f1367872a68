--[[
  put: adds messages (batched). A message whose id exists is left alone ("exists"), so a resent put
  cannot apply twice; a dead-lettered id is revived. The `put` hook (or the one named) may refuse.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 count, then per message 6 values:
        id, payload, delay ms, max attempts, vars (JSON or ''), hook name ('' = put)
  Returns: flat array, per message: outcome ('queued' | 'delayed' | 'exists' | 'refused'), detail
]]
local count = tonumber(ARGV[2])
local out = {}
local ready_added = 0
local added = 0
for i = 0, count - 1 do
  local o = 3 + i * 6
  local id, payload = ARGV[o], ARGV[o + 1]
  local delay, max = tonumber(ARGV[o + 2]), ARGV[o + 3]
  local hook = ARGV[o + 5]
  if hook == '' then hook = 'put' end
  local key = msg_key(id)
  local revive = false
  local outcome, detail = nil, ''
  if redis.call('EXISTS', key) == 1 then
    if redis.call('ZSCORE', K_DEAD, id) then revive = true else outcome = 'exists' end
  end
  if outcome == nil then
    local due = nil
    if delay > 0 then due = NOW + delay end
    local refusal = call_hook(hook, id, { attempt = 0, dueAt = due, vars = decode_vars(ARGV[o + 4]) })
    if refusal ~= nil then
      outcome, detail = 'refused', tostring(refusal)
    else
      if revive then
        redis.call('ZREM', K_DEAD, id)
        redis.call('DEL', key)
      end
      redis.call('HSET', key, 'p', payload, 'a', 0, 'm', max)
      if due then
        redis.call('ZADD', K_DELAYED, due, id)
        outcome = 'delayed'
      else
        redis.call('RPUSH', K_READY, id)
        ready_added = ready_added + 1
        outcome = 'queued'
      end
      added = added + 1
    end
  end
  out[#out + 1] = outcome
  out[#out + 1] = detail
end
if added > 0 then redis.call('HINCRBY', K_STATS, 'put', added) end
offer(ready_added)
return out
