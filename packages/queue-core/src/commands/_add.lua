--[[
  Adding one message: each message of a put, and each occurrence a schedule makes (_repeat.lua).
  Follows _lib.lua and _sched.lua in the library, precedes _repeat.lua and the commands.
]]

-- Adds message `id` through hook `hook` (its check has passed): delayed until `due` when that is
-- later than now, else ready. A message whose id is live is left alone ('exists'), so a resent put
-- or a second attempt at the same occurrence cannot apply twice; an id whose message has ended
-- (dead-lettered, or kept by the hooks after it ended) is revived, with ctx.revive set for the
-- hook, which may refuse. `schedule` names the schedule whose occurrence this is (ctx.schedule).
-- `deps` (ids joined by spaces, or '') are the messages it waits on, `policy` 'r' to run it even
-- when one of them fails (see _deps.lua).
-- Returns the outcome ('queued' | 'delayed' | 'waiting' | 'dead' | 'exists' | 'refused') and the
-- hook's refusal.
local function add_message(id, payload, due, max, vars, hook, prio, group, schedule, deps, policy)
  local key = job_key(id)
  -- A hash with attempts is a message; one marked ended comes back to life through the hook.
  local existing, record = read_message(key, READ_PUT)
  local revive = existing[1] ~= false and existing[2] == '1'
  if existing[1] and not revive then return 'exists', '' end
  local live, failed, how = {}, nil, nil
  if deps and deps ~= '' then live, failed, how = dependency_state(deps) end
  local fails = failed ~= nil and policy ~= 'r'
  local waits = fails or #live > 0
  local ctx = { attempt = 0, dueAt = due, vars = vars, revive = revive, record = record, schedule = schedule, waiting = waits }
  local refusal = call_hook(hook, id, ctx)
  if refusal ~= nil then return 'refused', tostring(refusal) end
  if revive then
    redis.call('ZREM', K_DEAD, id)
    if KEEP_RECORDS then
      redis.call('HDEL', key, 'P', 'R', 'E', 'T', 'C', 'Y', 'L', 'K', 'D', 'W', 'F', 'U', 'N', 'O')
    else
      redis.call('DEL', key)
    end
    redis.call('DEL', payload_key(id))
  end
  prio = tonumber(prio) or 0
  local delayed = due ~= nil and due > NOW
  -- The score is written in the same HSET: a later switch to the scheduled path keeps the order.
  local score = score_of(delayed and due or NOW, prio)
  local fields = { 'A', 0, 'M', max, 'S', score_text(score) }
  if #payload <= INLINE_PAYLOAD_MAX then
    fields[#fields + 1], fields[#fields + 2] = 'P', payload
  else
    redis.call('SET', payload_key(id), payload)
  end
  if prio ~= 0 then fields[#fields + 1], fields[#fields + 2] = 'Y', prio end
  if group ~= '' then fields[#fields + 1], fields[#fields + 2] = 'L', group end
  if deps and deps ~= '' then fields[#fields + 1], fields[#fields + 2] = 'D', deps end
  if waits then
    -- Waiting on dependencies: neither ready nor delayed until they have ended (see _deps.lua).
    fields[#fields + 1], fields[#fields + 2] = 'W', fails and 1 or #live
    if policy == 'r' then fields[#fields + 1], fields[#fields + 2] = 'F', 'r' end
    if delayed then fields[#fields + 1], fields[#fields + 2] = 'U', due end
    write_message(key, fields, ctx.writes)
    if fails then
      -- A dependency has failed already: this one fails at once, by the same rule as later.
      fail_waiting(id, key, failed, how)
      return 'dead', ''
    end
    wait_on(id, live)
    return 'waiting', ''
  end
  write_message(key, fields, ctx.writes)
  if delayed then
    redis.call('ZADD', K_DELAYED, due, id)
    note_delayed(id, prio, due)
    return 'delayed', ''
  end
  make_ready(id, false, prio, group, score)
  return 'queued', ''
end
