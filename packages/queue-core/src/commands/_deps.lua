--[[
  Dependencies: a message put with `dependsOn` waits, out of the ready and delayed sets, until every
  message it depends on has ended; the last one's end makes it ready (or delayed until its own due
  time) in the same call. A dependency that is dead-lettered, cancelled or removed fails the
  messages waiting on it (dead-lettered with reason `dependency <id> failed` or `... was cancelled`,
  the dead hook seeing ctx.dependency), unless they were put to run anyway; such a failure goes on
  down the failed message's own waiters. The wait graph is acyclic by construction: a message can
  only wait on messages that existed before it (or came earlier in its put).
  Follows _lib.lua and _sched.lua in the library, precedes _add.lua.

  Keys: blocked (KEYS[14]) ZSET id -> put time, the messages waiting on dependencies;
        `<base>:waiters:<id>` SET the messages waiting on message id, deleted when it ends.
  Fields of a message's hash: D its dependencies (joined by spaces), W how many have not ended yet
  (0 once it no longer waits), F 'r' to run even when one fails, U its due time when it was put with
  a delay; N '1' on a message that something waits on; O 'dead' or 'cancelled' on a message that
  ended without success (so that a later put depending on it knows).
]]
local function waiters_key(id)
  return BASE .. ':waiters:' .. id
end

local ENDINGS = { cancelled = ' was cancelled', missing = ' does not exist' }

-- Waiting message `id` (hash `key`) ends dead-lettered because dependency `dep` ended `how`.
local function fail_waiting(id, key, dep, how)
  local _, record = read_message(key, fields_to_read({}))
  local reason = 'dependency ' .. dep .. (ENDINGS[how] or ' failed')
  local ctx = { attempt = 0, reason = reason, dependency = dep, record = record }
  call_hook('dead', id, ctx)
  redis.call('ZREM', K_BLOCKED, id)
  write_message(key, { 'R', reason, 'E', '1', 'O', 'dead', 'W', 0 }, ctx.writes)
  redis.call('ZADD', K_DEAD, NOW, id)
  tally('dead', 1)
end

-- Waiting message `id` (hash `key`) has no dependency left: ready, or delayed until its due time.
local function unblock(id, key)
  local f, record = read_message(key, fields_to_read({ 'U', 'Y', 'L' }))
  local due = tonumber(f[1])
  local delayed = due ~= nil and due > NOW
  local ctx = { attempt = 0, record = record }
  if delayed then ctx.dueAt = due end
  call_hook('unblock', id, ctx)
  redis.call('ZREM', K_BLOCKED, id)
  local prio = tonumber(f[2]) or 0
  local score = score_of(delayed and due or NOW, prio)
  write_message(key, { 'W', 0, 'S', score_text(score) }, ctx.writes)
  if delayed then
    redis.call('ZADD', K_DELAYED, due, id)
    note_delayed(id, prio, due)
  else
    make_ready(id, false, prio, f[3] or '', score)
    offer(1)
  end
end

-- Message `id`, which something waits on (field N), has ended: `outcome` nil for success, else
-- 'dead' or 'cancelled'. Each waiter counts one dependency fewer and is made ready at its last, or
-- fails by its rule; failures go on down their own waiters, breadth first.
settle_waiters = function(id, outcome)
  local pending, outcomes, i = { id }, { outcome or false }, 1
  while i <= #pending do
    local dep, how = pending[i], outcomes[i]
    i = i + 1
    local wkey = waiters_key(dep)
    local waiting = redis.call('SMEMBERS', wkey)
    if #waiting > 0 then redis.call('DEL', wkey) end
    for _, w in ipairs(waiting) do
      local key = job_key(w)
      local f = redis.call('HMGET', key, 'W', 'E', 'F', 'N')
      local left = tonumber(f[1])
      -- Gone, ended meanwhile (cancelled, or failed by another dependency), or not waiting: nothing to do.
      if left and left > 0 and f[2] ~= '1' then
        if how and f[3] ~= 'r' then
          fail_waiting(w, key, dep, how)
          if f[4] == '1' then pending[#pending + 1], outcomes[#outcomes + 1] = w, 'dead' end
        elseif left == 1 then
          unblock(w, key)
        else
          redis.call('HSET', key, 'W', left - 1)
        end
      end
    end
  end
end

-- The dependencies `deps` (ids joined by spaces) of a message being put: the ones still live, and
-- the first that ended without success (with how: 'dead', 'cancelled', or 'missing' for one whose
-- hash is gone, such as a message of the same put that the hooks refused).
local function dependency_state(deps)
  local live, failed, how = {}, nil, nil
  for dep in string.gmatch(deps, '%S+') do
    local f = redis.call('HMGET', job_key(dep), 'A', 'E', 'O')
    if not f[1] then
      if not failed then failed, how = dep, 'missing' end
    elseif f[2] == '1' then
      if f[3] and not failed then failed, how = dep, f[3] end
    else
      live[#live + 1] = dep
    end
  end
  return live, failed, how
end

-- Message `id` now waits on `live`: its waiters' sets, the flag on each, and the blocked set.
local function wait_on(id, live)
  for _, dep in ipairs(live) do
    redis.call('SADD', waiters_key(dep), id)
    redis.call('HSET', job_key(dep), 'N', '1')
  end
  redis.call('ZADD', K_BLOCKED, NOW, id)
end
