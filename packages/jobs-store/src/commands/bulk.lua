--[[
  bulk: one bounded step of a bulk action (retry, cancel or delete by a filter). Walks the jobs of the
  filter oldest first (by id) from a cursor, examining at most a budget of index entries, so that no
  call holds Redis for long; counts the jobs that match and sorts them into those the action applies
  to and those it skips, with the reason. A delete is done here, job by job (delete_finished, the same
  checks as delete.lua); a retry or a cancel goes through the queue's functions (a put with the
  retryJob hook, a remove with the cancelJob hook), so this step only names the jobs, and those hooks
  check each one again.

  KEYS: 1 <BASE>:finished (for routing; the indexes are named from BASE)
  ARGV: 1 action: 'retry' | 'cancel' | 'delete'
        2 the lowest id to examine, as a ZRANGEBYLEX bound ('-', or '(' .. the cursor)
        3 the highest id, as a bound ('(' .. the first id of createdBefore, or of the moment the
          action started: jobs submitted meanwhile are left alone, and the walk ends)
        4 status ('' = any), 5 type ('' = any), 6 tag ('' = any)
        7 finishedBefore, ms ('' = any; a job that is not finished does not match)
        8 budget: index entries examined at most, 9 dry run: '1' counts only
  Returns: { cursor ('' = walked to the end), matched, applied (deleted, or would be with a dry run),
             { reason, count, ... } skipped, { ids the caller retries or cancels } }
]]
local action, min, max = ARGV[1], ARGV[2], ARGV[3]
local status, job_type, tag = ARGV[4], ARGV[5], ARGV[6]
local finished_before = tonumber(ARGV[7])
local budget, dry = tonumber(ARGV[8]), ARGV[9] == '1'

local RETRYABLE = { failed = true, cancelled = true }
local CANCELLABLE = { waiting = true, queued = true, delayed = true, running = true }

local sources = filter_sources(status, job_type, tag)
local matched, applied = 0, 0
local skipped = {}
local ids = {}
local examined = 0
local last = nil
local exhausted = false

local function skip(reason)
  skipped[reason] = (skipped[reason] or 0) + 1
end

-- One job of the walk: `source` is the index it was found in.
local function visit(id, source)
  local f = redis.call('HMGET', job_key(id), 's', 't', 'f', 'g', 'i', 'E', 'T')
  local s, t, finished, g, idem, ended, token = f[1], f[2], f[3], f[4], f[5], f[6], f[7]
  if not s then
    -- Its retention ended: the entry goes, as the list drops it.
    redis.call('ZREM', source, id)
    return
  end
  if status ~= '' and s ~= status then return end
  if job_type ~= '' and t ~= job_type then return end
  if tag ~= '' and not has_tag(g, tag) then return end
  if finished_before and not (finished and tonumber(finished) < finished_before) then return end
  matched = matched + 1
  if action == 'delete' then
    -- Never a job a worker may hold: finished, and its message ended without a lease.
    if not FINISHED_STATUSES[s] or ended ~= '1' or (token and token ~= '') then return skip('not_finished') end
    if not dry then delete_finished(id, s, t or '?', g or nil, idem or nil) end
    applied = applied + 1
  elseif action == 'retry' then
    if not RETRYABLE[s] then return skip('not_failed_or_cancelled') end
    if dry then applied = applied + 1 else ids[#ids + 1] = id end
  else
    if not CANCELLABLE[s] then return skip('finished') end
    if dry then applied = applied + 1 else ids[#ids + 1] = id end
  end
end

while examined < budget do
  local want = budget - examined
  -- The `want` lowest ids above `min` are among the `want` lowest of each index.
  local batch = {}
  for _, source in ipairs(sources) do
    for _, id in ipairs(redis.call('ZRANGEBYLEX', source, min, max, 'LIMIT', 0, want)) do batch[#batch + 1] = { id, source } end
  end
  if #batch == 0 then
    exhausted = true
    break
  end
  table.sort(batch, function(a, b) return a[1] < b[1] end)
  for i = 1, math.min(want, #batch) do
    local id = batch[i][1]
    if id ~= last then
      examined = examined + 1
      last = id
      visit(id, batch[i][2])
    end
  end
  min = '(' .. last
end

local flat = {}
for reason, count in pairs(skipped) do
  flat[#flat + 1] = reason
  flat[#flat + 1] = count
end
local cursor = ''
if not exhausted and last then cursor = last end
return { cursor, matched, applied, flat, ids }
