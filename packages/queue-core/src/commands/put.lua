--[[
  put: adds messages (batched). A message whose id exists is left alone ("exists"), so a resent put
  cannot apply twice; an id that has ended (dead-lettered, or kept by the hooks after it ended) is
  revived, with ctx.revive set for the hook. The `put` hook (or the one named) may refuse a
  message (an outcome, the others go ahead); its `check_put` (`check_<name>`) may refuse the whole
  call before anything is written (an error reply `HOTQ_REFUSED <index> <why>`).

  KEYS: see _lib.lua
  A queue with a maximum of waiting messages (ARGV 3, 0 = none) refuses the whole put, before any
  write, when the messages waiting (ready or delayed) and the ones put would go past it: an error
  reply `HOTQ_FULL <waiting> <max>`.

  A message's dependencies must exist (live or ended) or come earlier in the same put; otherwise
  the whole put is refused before any write: an error reply `HOTQ_DEPENDENCY <index> <id>`.

  ARGV: 1 base, 2 count, 3 max waiting (0 = none), then per message 10 values:
        id, payload, delay ms, max attempts, vars (JSON or ''), hook name ('' = put),
        priority (-100..100), group (the limit scopes it counts against, joined by spaces; '' none),
        dependencies (ids joined by spaces; '' none), 'r' to run even when a dependency fails ('' not)
  Returns: flat array, per message: outcome ('queued' | 'delayed' | 'waiting' | 'dead' | 'exists' |
           'refused'), detail
]]
local count = tonumber(ARGV[2])
local max_waiting = tonumber(ARGV[3])
if max_waiting > 0 then
  local waiting = redis.call('LLEN', K_READY) + redis.call('ZCARD', K_DELAYED)
  -- On the scheduled path (priorities, limits) ready messages also wait in their groups.
  for _, group in ipairs(redis.call('ZRANGE', K_GROUPS, 0, -1)) do
    waiting = waiting + redis.call('ZCARD', group_key(group))
  end
  if waiting + count > max_waiting then
    return redis.error_reply('HOTQ_FULL ' .. waiting .. ' ' .. max_waiting)
  end
end

-- First every check, then every write: Redis does not roll back a function that fails midway, so a
-- batch with one bad message must be refused before anything of it is written. A hook that checks
-- (`check_<hook>`) reads only, and answers nil or why the message cannot be taken.
local earlier = {}
-- Each message's vars, decoded once for its check and its put.
local vars_of = {}
for i = 0, count - 1 do
  local o = 4 + i * 10
  local hook = ARGV[o + 5]
  if hook == '' then hook = 'put' end
  local delay = tonumber(ARGV[o + 2])
  local due = nil
  if delay > 0 then due = NOW + delay end
  vars_of[i] = decode_vars(ARGV[o + 4])
  local problem = call_hook('check_' .. hook, ARGV[o], { attempt = 0, dueAt = due, vars = vars_of[i] })
  if problem ~= nil then
    return redis.error_reply('HOTQ_REFUSED ' .. i .. ' ' .. tostring(problem))
  end
  for dep in string.gmatch(ARGV[o + 8], '%S+') do
    if not earlier[dep] and redis.call('HEXISTS', job_key(dep), 'A') == 0 then
      return redis.error_reply('HOTQ_DEPENDENCY ' .. i .. ' ' .. dep)
    end
  end
  earlier[ARGV[o]] = true
end

local out = {}
local ready_added = 0
local added = 0
for i = 0, count - 1 do
  local o = 4 + i * 10
  local hook = ARGV[o + 5]
  if hook == '' then hook = 'put' end
  local delay = tonumber(ARGV[o + 2])
  local due = nil
  if delay > 0 then due = NOW + delay end
  local outcome, detail = add_message(ARGV[o], ARGV[o + 1], due, ARGV[o + 3], vars_of[i], hook, ARGV[o + 6], ARGV[o + 7], nil, ARGV[o + 8], ARGV[o + 9])
  if outcome == 'queued' then ready_added = ready_added + 1 end
  if outcome ~= 'exists' and outcome ~= 'refused' then added = added + 1 end
  out[#out + 1] = outcome
  out[#out + 1] = detail
end
if added > 0 then tally('put', added) end
offer(ready_added)
return out
