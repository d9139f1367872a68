--[[
  Schedules: messages that repeat, at a fixed interval or at the times of a cron expression
  (docs/decisions/0019). Follows _add.lua in the library, precedes the commands.

  Keys, besides KEYS[13] `schedules` (ZSET id -> next due ms of every schedule that will make more
  occurrences: not paused, not ended):
    <base>:schedule:<id>     HASH  the definition and the state of one schedule:
      the put of each occurrence: P payload, M max attempts, V vars (JSON or ''), H hook ('' = put),
        Y priority, L group (the limit scopes, joined by spaces)
      when: every (interval ms) and anchor (ms; the slots are anchor + k * every), or times (cron:
        the next due times, ms, ascending, joined by spaces: computed by TaskQueue, which cannot be
        done here); end (ms, optional), limit (optional), mf (the misfire policy as the most
        occurrences one promotion makes: 0 skip, 1 one, n), ov ('skip' | 'allow' overlap)
      stem  the 16 characters that follow the due time in each occurrence's id
      def   the definition as TaskQueue wrote it (JSON): a set with the same one changes nothing
      ver   how many times it was set; the state: next (its next due time), last (the last due time
        handled), job (the id of the last occurrence made), n (occurrences made), paused '1',
        ended '1' (past its end or its limit), from (cron: more times are needed after this),
        complete '1' (cron: the list holds every time left before the end)
    <base>:schedule-ids      ZSET  every schedule id (score 0), for listing
    <base>:schedule-refill   SET   cron schedules whose list of times runs low (TaskQueue refills them)

  An occurrence is made by the reserve that finds its schedule due, in the same call that makes it
  ready and moves the schedule to its next due time: no step outside Redis to forget. Its id is a
  ULID whose time part is the due time and whose random part is the schedule's stem, so the same
  occurrence has the same id whoever makes it, and `last` only grows: no occurrence is made twice.
]]
local CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
-- Cron schedules keep up to this many due times and ask for more below half of it.
local CRON_TIMES_KEPT = 32
local REFILL_BELOW = 16
-- An occurrence is late (missed) when made more than this after its due time, or more than half
-- the time to the next one when that is shorter.
local MISFIRE_GRACE_MS = 60000
local SCHEDULES_PER_CALL = 50

local function schedule_key(id)
  return BASE .. ':schedule:' .. id
end

local function schedule_ids_key()
  return BASE .. ':schedule-ids'
end

local function refill_key()
  return BASE .. ':schedule-refill'
end

-- The id of the occurrence due at `due`: 10 characters of the due time (a ULID's time part), then the stem.
local function occurrence_id(stem, due)
  local chars = {}
  local t = due
  for i = 10, 1, -1 do
    local digit = t % 32
    chars[i] = string.sub(CROCKFORD, digit + 1, digit + 1)
    t = math.floor(t / 32)
  end
  return table.concat(chars) .. stem
end

-- A schedule's hash as a table (nil when there is none).
local function read_schedule(id)
  local flat = redis.call('HGETALL', schedule_key(id))
  if #flat == 0 then return nil end
  local s = {}
  for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
  return s
end

local function parse_times(text)
  local times = {}
  for t in string.gmatch(text or '', '%d+') do times[#times + 1] = tonumber(t) end
  return times
end

local function join_times(times, from)
  local parts = {}
  for i = from or 1, #times do parts[#parts + 1] = string.format('%.0f', times[i]) end
  return table.concat(parts, ' ')
end

-- Whether the message `id` is live: added and not ended (queued, delayed, leased or waiting to retry).
local function is_live(id)
  if not id or id == '' then return false end
  local f = redis.call('HMGET', job_key(id), 'A', 'E')
  return f[1] ~= false and f[2] ~= '1'
end

-- The first slot of an interval schedule at or after `floor`.
local function interval_slot(anchor, every, floor)
  if anchor >= floor then return anchor end
  return anchor + math.ceil((floor - anchor) / every) * every
end

-- The next due time of schedule `s` from now on (slots already handled, and those before NOW, are
-- not made), for a set or a resume; `times` are a cron schedule's upcoming times. Also returns the
-- cron times left from there.
local function first_due(s, times)
  local last = tonumber(s.last) or -1
  if s.every then
    return interval_slot(tonumber(s.anchor), tonumber(s.every), math.max(NOW, last + 1)), nil
  end
  local kept = {}
  for _, t in ipairs(times) do
    if t > last and t >= NOW and #kept < CRON_TIMES_KEPT then kept[#kept + 1] = t end
  end
  return kept[1], kept
end

-- Writes the place of schedule `id` in the due set from its state: there while it has a next due
-- time, is not paused and has not ended.
local function place_schedule(id, s)
  if s.next and s.paused ~= '1' and s.ended ~= '1' then
    redis.call('ZADD', K_SCHEDULES, s.next, id)
  else
    redis.call('ZREM', K_SCHEDULES, id)
  end
end

-- Sets next (and for cron, times) of `s` from `due` and `times`, and whether it has ended: past
-- its limit or its end, or (cron) out of times for good. Returns the HSET fields and the fields to
-- delete.
local function plan_next(s, due, times)
  local n, limit, stop = tonumber(s.n) or 0, tonumber(s.limit), tonumber(s['end'])
  s.next = due
  local ended = (limit ~= nil and n >= limit) or (due ~= nil and stop ~= nil and due > stop)
    or (due == nil and (s.every ~= nil or s.complete == '1' or (stop ~= nil and NOW >= stop)))
  s.ended = ended and '1' or nil
  local set, del = {}, {}
  if due then set[#set + 1], set[#set + 2] = 'next', string.format('%.0f', due) else del[#del + 1] = 'next' end
  if ended then set[#set + 1], set[#set + 2] = 'ended', '1' else del[#del + 1] = 'ended' end
  if times then
    set[#set + 1], set[#set + 2] = 'times', join_times(times)
    -- A cron schedule running short of times asks TaskQueue for more (after its last one, or from
    -- now), unless its expression has none left before its end.
    if not ended and #times < REFILL_BELOW and s.complete ~= '1' then
      set[#set + 1], set[#set + 2] = 'from', string.format('%.0f', times[#times] or NOW)
      redis.call('SADD', refill_key(), s.id)
    else
      del[#del + 1] = 'from'
      redis.call('SREM', refill_key(), s.id)
    end
  end
  return set, del
end

local function write_schedule(s, set, del)
  local key = schedule_key(s.id)
  if #del > 0 then redis.call('HDEL', key, unpack(del)) end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  place_schedule(s.id, s)
end

-- The slots of schedule `s` due by now, from its next due time: how many there are, the last
-- `keep` of them (oldest first), the slot after them (nil: not known yet, a cron schedule whose
-- times ran out) and, for cron, the times left after them.
local function due_slots(s, keep)
  local stop = tonumber(s['end'])
  local upto = NOW
  if stop and stop < upto then upto = stop end
  local next = tonumber(s.next)
  if s.every then
    local every = tonumber(s.every)
    local k = 0
    if next <= upto then k = math.floor((upto - next) / every) + 1 end
    local recent = {}
    for i = math.max(1, k - keep + 1), k do recent[#recent + 1] = next + (i - 1) * every end
    return k, recent, next + k * every, nil
  end
  local times = parse_times(s.times)
  local k = 0
  while times[k + 1] and times[k + 1] <= upto do k = k + 1 end
  local recent = {}
  for i = math.max(1, k - keep + 1), k do recent[#recent + 1] = times[i] end
  local rest = {}
  for i = k + 1, #times do rest[#rest + 1] = times[i] end
  return k, recent, rest[1], rest
end

-- Makes the occurrence of schedule `s` due at `due` (ready now). Returns its id when made.
local function make_occurrence(s, due)
  local id = occurrence_id(s.stem, due)
  local hook = s.H
  if hook == nil or hook == '' then hook = 'put' end
  local outcome = add_message(id, s.P, due, s.M, decode_vars(s.V), hook, s.Y, s.L or '', s.id)
  if outcome == 'queued' or outcome == 'delayed' then return id end
  return nil
end

-- A due schedule: the occurrences its misfire and overlap policies allow, then its next due time.
-- Returns how many occurrences it made.
local function run_schedule(id)
  local s = read_schedule(id)
  if s == nil or s.next == nil or s.paused == '1' or s.ended == '1' then
    redis.call('ZREM', K_SCHEDULES, id)
    return 0
  end
  s.id = id
  local mf = tonumber(s.mf) or 1
  local k, recent, after, rest = due_slots(s, math.max(mf, 1))
  local runs = {}
  if k > 0 then
    local latest = recent[#recent]
    if mf > 0 then
      runs = recent
    else
      -- skip: only an occurrence on time runs; missed ones do not.
      local grace = MISFIRE_GRACE_MS
      if after then grace = math.min(grace, math.floor((after - latest) / 2)) end
      if NOW - latest <= grace then runs = { latest } end
    end
    -- overlap 'skip': nothing while the last occurrence made has not ended.
    if s.ov == 'skip' and is_live(s.job) then runs = {} end
    s.last = string.format('%.0f', latest)
  end
  local n, limit = tonumber(s.n) or 0, tonumber(s.limit)
  local made, job = 0, nil
  for _, due in ipairs(runs) do
    if limit and n + made >= limit then break end
    local occurrence = make_occurrence(s, due)
    if occurrence then
      made = made + 1
      job = occurrence
    end
  end
  s.n = n + made
  local set, del = plan_next(s, after, rest)
  set[#set + 1], set[#set + 2] = 'n', s.n
  if s.last then set[#set + 1], set[#set + 2] = 'last', s.last end
  if job then set[#set + 1], set[#set + 2] = 'job', job end
  write_schedule(s, set, del)
  return made
end

-- Every schedule due now (a batch per call). Returns how many occurrences were made, and whether
-- some cron schedule needs more times.
local function run_schedules()
  local made = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_SCHEDULES, '-inf', NOW, 'LIMIT', 0, SCHEDULES_PER_CALL)) do
    made = made + run_schedule(id)
  end
  if made > 0 then tally('put', made) end
  return made, redis.call('EXISTS', refill_key()) == 1
end
