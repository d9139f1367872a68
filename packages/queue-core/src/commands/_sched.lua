--[[
  Scheduling: priorities, rate limits and global concurrency (docs/decisions/0015). Follows
  _lib.lua in the library, precedes the commands.

  Two paths. A queue that uses none of the three keeps the plain path: one FIFO ready list (LPOP
  out, RPUSH in). The first look of every call at the queue's flags, an EXISTS of several keys that
  the plain path made anyway, tells the paths apart, so the plain path spends no command on them.
  The scheduled path is on while any of these exists:
    limits   HASH  scope -> '<starts> <per ms> <concurrency>' (0: no such limit); a scope is `queue`
                   (every job) or `<kind>:<name>` such as `type:render` or `tag:acme`
    groups   ZSET  group -> the score of its first ready job
    prio     ZSET  id -> due time: the delayed jobs with a priority other than 0 (also in delayed)
  On it, ready jobs wait in `<base>:pq:<group>` ZSETs. A job's group is the set of scopes it counts
  against (besides `queue`), field L: so a group is held back by a limit as a whole, and the groups
  behind it go ahead (no head-of-line blocking). The ZSET score (field S) is the job's ready time
  less its priority (Y) times the ageing (ms per level, `<base>:ageing`, default 1000, 0 = strict):
  lower first, so higher priorities first, FIFO within one priority, and a waiting job's effective
  priority rises by one level per ageing ms. A job keeps S when its lease expires or is released
  (it goes back where it was) and gets a new one when retried or promoted from delayed. Jobs the
  plain path left in the list move to their groups at the next scheduled reserve.
  Per limited scope: `<base>:rl:<scope>` ZSET of the starts within its rate window (member: the
  lease token, score: ms), a sliding log, so no window of the limit's length ever holds more starts
  than the limit; `<base>:run:<scope>` SET of the ids leased while the scope had a concurrency limit
  (the lease's field K names those scopes, so its end gives the slots back).
]]
local DEFAULT_AGEING_MS = 1000
-- Ageing 0 means strict priorities: 2^42 ms per level is more than any wait (scores stay below 2^53).
local STRICT_AGEING = 4398046511104
local MAX_GROUPS = 1000
local MIGRATE_PER_CALL = 200

-- For put, nack and release: whether the scheduled path is on, whether consumers wait for work and
-- whether the queue is paused, in the commands the plain path spent on the last two before: one
-- EXISTS when nobody waits, two when somebody does.
local function queue_state()
  if sched_on ~= nil then return end
  local n1 = redis.call('EXISTS', K_WAITERS, K_LIMITS, K_GROUPS, K_PRIO)
  if n1 == 0 then
    sched_on = false
    return
  end
  local n2 = redis.call('EXISTS', K_PAUSED, K_LIMITS, K_GROUPS, K_PRIO)
  if n2 == 0 then
    sched_on, waiters_on = false, true
    return
  end
  local s = redis.call('EXISTS', K_LIMITS, K_GROUPS, K_PRIO)
  sched_on, waiters_on, paused_on = s > 0, n1 > s, n2 > s
end

-- `n` messages have just joined the ready jobs: on the plain path consumers waiting for work get
-- them leased directly (unless the queue is paused); consumers that are only blocked, and every
-- waiting consumer on the scheduled path (where limits decide what may start), are woken.
local function offer(n)
  if n <= 0 then return end
  queue_state()
  local handed = 0
  if waiters_on and not paused_on and not sched_on then handed = hand_off(n) end
  wake(n - handed)
end

local function ageing_ms()
  if ageing == nil then
    ageing = tonumber(redis.call('GET', BASE .. ':ageing')) or DEFAULT_AGEING_MS
    if ageing <= 0 then ageing = STRICT_AGEING end
  end
  return ageing
end

-- The score of a job ready at `ready_at` (ms) with priority `prio`: lower is taken first.
local function score_of(ready_at, prio)
  prio = tonumber(prio) or 0
  if prio == 0 then return ready_at end
  return ready_at - prio * ageing_ms()
end

-- Scores as exact integers (Lua's tostring would round numbers past 14 digits).
local function score_text(score)
  return string.format('%.0f', score)
end

local function group_key(group)
  return BASE .. ':pq:' .. group
end

local function group_add(id, group, score)
  redis.call('ZADD', group_key(group), score_text(score), id)
  -- LT: the group's place moves up only if this job comes before its first one.
  redis.call('ZADD', K_GROUPS, 'LT', score_text(score), group)
end

-- After a job left `group`: the group's place is its new first job's, or the group goes.
local function group_refresh(group)
  local head = redis.call('ZRANGE', group_key(group), 0, 0, 'WITHSCORES')
  if head[1] then redis.call('ZADD', K_GROUPS, head[2], group) else redis.call('ZREM', K_GROUPS, group) end
end

-- Message `id` joins the ready jobs: `front` when it was taken before (expired or released lease)
-- and goes back where it was, with `score` its old one. A job with a priority turns the scheduled
-- path on (its group exists from here on).
local function make_ready(id, front, prio, group, score)
  queue_state()
  if sched_on or (tonumber(prio) or 0) ~= 0 then
    group_add(id, group or '', score)
    sched_on = true
  elseif front then
    redis.call('LPUSH', K_READY, id)
  else
    redis.call('RPUSH', K_READY, id)
  end
end

-- A job with a priority was delayed until `due`: the scheduled path stays on until it is promoted
-- (the plain path's promotion would put it at the back of the list).
local function note_delayed(id, prio, due)
  if (tonumber(prio) or 0) ~= 0 then redis.call('ZADD', K_PRIO, due, id) end
end

-- The limits in force, read once per call: scope -> { n = starts, w = per ms, k = concurrency }.
local function load_limits()
  if limits then return limits end
  limits = {}
  local flat = redis.call('HGETALL', K_LIMITS)
  for i = 1, #flat, 2 do
    local n, w, k = string.match(flat[i + 1], '^(%d+) (%d+) (%d+)$')
    if n then limits[flat[i]] = { n = tonumber(n), w = tonumber(w), k = tonumber(k) } end
  end
  return limits
end

-- Whether one more job of `scope` may start now; when not, the ms until it may (nil: when a running
-- one ends). Counts are read once per scope per call and kept up to date locally.
local function scope_allows(scope)
  local l = limits[scope]
  if not l then return true end
  if l.k > 0 then
    local running = run_count[scope]
    if running == nil then
      running = redis.call('SCARD', BASE .. ':run:' .. scope)
      run_count[scope] = running
    end
    if running >= l.k then return false, nil end
  end
  if l.n > 0 then
    local key = BASE .. ':rl:' .. scope
    local started = rate_count[scope]
    if started == nil then
      -- The window is (NOW - w, NOW]: starts at or before NOW - w are out of it.
      redis.call('ZREMRANGEBYSCORE', key, '-inf', NOW - l.w)
      started = redis.call('ZCARD', key)
      rate_count[scope] = started
    end
    if started >= l.n then
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      return false, math.max(1, tonumber(oldest[2] or NOW) + l.w - NOW)
    end
  end
  return true
end

-- Counts one start of `id` (lease `token`) against `scope`.
local function count_start(scope, id, token)
  local l = limits[scope]
  if not l then return end
  if l.k > 0 then
    redis.call('SADD', BASE .. ':run:' .. scope, id)
    run_count[scope] = run_count[scope] + 1
  end
  if l.n > 0 then
    redis.call('ZADD', BASE .. ':rl:' .. scope, NOW, token)
    rate_count[scope] = rate_count[scope] + 1
  end
end

-- Jobs the plain path left in the ready list join their groups, a batch per call.
local function migrate_list()
  local ids = redis.call('LPOP', K_READY, MIGRATE_PER_CALL)
  if not ids then return end
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', job_key(id), 'L', 'S')
    group_add(id, f[1] or '', tonumber(f[2]) or NOW)
  end
end

-- Delayed jobs that are due join their groups, with the score given when they were delayed.
local function promote_scheduled()
  local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', NOW, 'LIMIT', 0, 100)
  for _, id in ipairs(due) do
    call_hook('promote', id, {})
    redis.call('ZREM', K_DELAYED, id)
    redis.call('ZREM', K_PRIO, id)
    local f = redis.call('HMGET', job_key(id), 'L', 'S')
    group_add(id, f[1] or '', tonumber(f[2]) or NOW)
  end
end

-- The scopes of a group: `queue` and those in its name.
local function scopes_of(group)
  local scopes = { 'queue' }
  for scope in string.gmatch(group, '%S+') do scopes[#scopes + 1] = scope end
  return scopes
end

-- Leases up to `count` ready jobs in score order, skipping the groups a limit holds back, and
-- appends them to `messages`. Returns how many were taken and the ms until a held-back group may
-- start again (-1: none is held back by a rate, or only by concurrency).
local function take_scheduled(count, lease_ms, consumer, token_prefix, messages)
  load_limits()
  migrate_list()
  local flat = redis.call('ZRANGE', K_GROUPS, 0, MAX_GROUPS - 1, 'WITHSCORES')
  local heads = {}
  for i = 1, #flat, 2 do heads[#heads + 1] = { group = flat[i], score = tonumber(flat[i + 1]) } end
  local hint, taken = -1, 0
  -- Scopes found over a limit in this call: counts only grow during a call, so they stay so.
  local held = {}
  local function allows(scope)
    if held[scope] ~= nil then return false end
    local ok, wait = scope_allows(scope)
    if not ok then
      held[scope] = true
      if wait and (hint < 0 or wait < hint) then hint = wait end
    end
    return ok
  end
  while taken < count do
    -- The group whose first job comes first among those no limit holds back.
    local best = nil
    for _, h in ipairs(heads) do
      if not h.done and (best == nil or h.score < best.score) then
        h.scopes = h.scopes or scopes_of(h.group)
        for _, scope in ipairs(h.scopes) do
          if not allows(scope) then
            h.done = true
            break
          end
        end
        if not h.done then best = h end
      end
    end
    if best == nil then break end
    local key = group_key(best.group)
    local popped = redis.call('ZPOPMIN', key)
    best.touched = true
    if popped[1] then
      local id = popped[1]
      local token = token_prefix .. ':' .. (taken + 1)
      local counted = {}
      for _, scope in ipairs(best.scopes) do
        if limits[scope] and limits[scope].k > 0 then counted[#counted + 1] = scope end
      end
      local payload, attempt, max = lease_one(id, token, lease_ms, consumer, table.concat(counted, ' '))
      -- An id without its message was removed meanwhile: skip it.
      if payload then
        taken = taken + 1
        for _, scope in ipairs(best.scopes) do count_start(scope, id, token) end
        push_message(messages, id, payload, attempt, max, token)
      end
    end
    local head = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    if head[1] then best.score = tonumber(head[2]) else best.done, best.empty = true, true end
  end
  for _, h in ipairs(heads) do
    if h.empty then
      redis.call('ZREM', K_GROUPS, h.group)
    elseif h.touched then
      redis.call('ZADD', K_GROUPS, score_text(h.score), h.group)
    end
  end
  return taken, hint
end
