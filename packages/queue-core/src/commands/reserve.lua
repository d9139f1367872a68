--[[
  reserve: acknowledges the leases passed in (so finishing one job and taking the next is one round
  trip), then, unless paused, makes the occurrences of due schedules (_repeat.lua), promotes due
  delayed messages, reclaims expired leases, and leases up
  to `count` ready messages: from the list on the plain path, by score and within the limits on the
  scheduled one (_sched.lua).

  KEYS: see _lib.lua
  A caller about to block waiting for work passes its waiter entry (see _lib.lua) and how long it
  will wait: when nothing is ready, the entry is registered so that a put can hand it messages. The
  call after the wait passes the same entry with wait 0: it is unregistered and whatever was handed
  to it meanwhile is returned first.

  ARGV: 1 base, 2 count, 3 lease ms, 4 consumer, 5 token prefix, 6 dead retention ms,
        7 waiter entry ('' = none), 8 wait ms (0 = the wait is over),
        9 number of acks, then per ack 4 values: id, token, vars (JSON or ''), hook name ('' = ack)
  Returns: { acks: 1|0 per ack, messages: flat {id, payload, attempt, max, token} per message,
             hint: ms until the next delayed message or schedule is due, lease expires or job held
                   back by a rate limit may start (-1 when none),
             refill: 1 when some cron schedule needs more due times (TaskQueue computes them) }
]]
local count, lease_ms = tonumber(ARGV[2]), tonumber(ARGV[3])
local consumer, token_prefix = ARGV[4], ARGV[5]
local dead_retention = tonumber(ARGV[6])
local waiter, wait_ms = ARGV[7], tonumber(ARGV[8])
local n_acks = tonumber(ARGV[9])

-- One look at every flag: in the common case (not paused, nothing asked to stop, no priorities,
-- limits, concurrency or schedules in force) that is all.
local paused, repeat_on = false, false
local flags = redis.call('EXISTS', K_PAUSED, K_CANCEL, K_LIMITS, K_GROUPS, K_PRIO, K_SCHEDULES, refill_key())
if flags == 0 then
  cancel_pending, sched_on = false, false
else
  local sched = redis.call('EXISTS', K_LIMITS, K_GROUPS, K_PRIO)
  sched_on = sched > 0
  if flags > sched then
    paused = redis.call('EXISTS', K_PAUSED) == 1
    -- Schedules: some are due at a time, or a cron schedule waits for more times.
    repeat_on = redis.call('EXISTS', K_SCHEDULES, refill_key()) > 0
  end
end

local acks = {}
local acked = 0
for i = 0, n_acks - 1 do
  local o = 10 + i * 4
  local ok = ack_one(ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3])
  acks[#acks + 1] = ok
  acked = acked + ok
end
if acked > 0 then tally('acked', acked) end

-- The wait is over: what a put handed over meanwhile is already leased to this caller.
local messages = {}
if waiter ~= '' and wait_ms == 0 then
  redis.call('ZREM', K_WAITERS, waiter)
  local inbox = inbox_key(string.match(waiter, '^[^\n]+'))
  for _, item in ipairs(redis.call('LRANGE', inbox, 0, -1)) do unframe(item, messages) end
  -- Also clears the empty item a consumer that stops waiting pushes to end its own wait.
  redis.call('DEL', inbox)
end
count = count - #messages / 5

if paused or count <= 0 then
  return { acks, messages, 1000, 0 }
end

-- Schedules that are due make their occurrences (ready now) and move on to their next due time.
local refill = false
if repeat_on then
  local made = 0
  made, refill = run_schedules()
  wake(made - count)
end

-- Delayed messages that are due join the back of the ready list (or their group).
if sched_on then
  promote_scheduled()
else
  local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', NOW, 'LIMIT', 0, 100)
  for _, id in ipairs(due) do
    call_hook('promote', id, {})
    redis.call('ZREM', K_DELAYED, id)
    redis.call('RPUSH', K_READY, id)
  end
end

-- Leases that ran out: the message comes back at the front, or is dead-lettered past its last attempt.
local expired = redis.call('ZRANGEBYSCORE', K_LEASED, '-inf', NOW, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  local key = job_key(id)
  local fields, record = read_message(key, fields_to_read({ 'A', 'M', 'T', 'K', 'Y', 'L', 'S', 'N' }))
  local attempt, max, token = tonumber(fields[1]) or 0, tonumber(fields[2]) or 1, fields[3]
  free_slots(id, fields[4])
  if redis.call('SISMEMBER', K_CANCEL, id) == 1 then
    -- Asked to stop and its consumer vanished: end it as cancelled rather than run it again.
    end_cancelled(id, key, token, attempt, 'lease expired after cancellation', nil, record, fields[8])
  elseif attempt >= max then
    bury(id, key, attempt, token, 'lease expired on the last attempt (' .. attempt .. ' of ' .. max .. ')', {}, record, fields[8])
    trim_dead(dead_retention)
  else
    local ctx = { token = token, attempt = attempt, reason = 'lease expired', record = record }
    call_hook('expire', id, ctx)
    revoke_lease(id, key, {}, ctx.writes)
    make_ready(id, true, fields[5], fields[6], tonumber(fields[7]) or NOW)
    tally('expired', 1)
  end
end

local taken = 0
local held_hint = -1
if sched_on then
  taken, held_hint = take_scheduled(count, lease_ms, consumer, token_prefix, messages)
end
local ids = not sched_on and redis.call('LPOP', K_READY, count)
if ids then
  for _, id in ipairs(ids) do
    local token = token_prefix .. ':' .. (taken + 1)
    local payload, attempt, max = lease_one(id, token, lease_ms, consumer)
    -- An id without its message was removed meanwhile: skip it.
    if payload then
      taken = taken + 1
      push_message(messages, id, payload, attempt, max, token)
    end
  end
end

-- Idle consumers block until woken; tell them how long they may sleep at most.
local hint = held_hint
if taken < count then
  local next_due = redis.call('ZRANGE', K_DELAYED, 0, 0, 'WITHSCORES')
  local next_expiry = redis.call('ZRANGE', K_LEASED, 0, 0, 'WITHSCORES')
  local next_schedule = repeat_on and redis.call('ZRANGE', K_SCHEDULES, 0, 0, 'WITHSCORES') or {}
  for _, pair in ipairs({ next_due, next_expiry, next_schedule }) do
    if pair[2] then
      local wait = math.max(0, tonumber(pair[2]) - NOW)
      if hint < 0 or wait < hint then hint = wait end
    end
  end
end
-- About to block: a put may hand this caller messages until its wait ends.
if waiter ~= '' and wait_ms > 0 and #messages == 0 then
  local wait = wait_ms
  if hint >= 0 and hint < wait then wait = math.max(hint, 1) end
  -- Entries of consumers that died while waiting go here too, not only when a put meets them.
  redis.call('ZREMRANGEBYSCORE', K_WAITERS, '-inf', '(' .. NOW)
  redis.call('ZADD', K_WAITERS, NOW + wait, waiter)
  -- On the scheduled path nothing this caller could take is ready, so neither could any other
  -- consumer: wake tokens left from earlier puts would only end its wait (and theirs) for nothing.
  -- (A consumer already blocked has taken its token the moment it was pushed.)
  if sched_on then redis.call('DEL', K_WAKE) end
end
return { acks, messages, hint, refill and 1 or 0 }
