--[[
  list: one page of jobs, newest first (highest id first), filtered by status and/or type. Ids are
  ULIDs, so an index with all scores 0 is in creation order and ZREVRANGEBYLEX from the cursor gives
  the next page: jobs added meanwhile have higher ids and never shift a later page.

  KEYS: 1 <BASE>:finished (for routing; the indexes are named from BASE)
  ARGV: 1 cursor: the last id of the previous page ('' = from the newest), 2 limit,
        3 status ('' = any), 4 type ('' = any), 5 budget: index entries examined at most
  Returns: { next cursor ('' = no more), jobs: { { id, params JSON ('' = gone), { record fields } } } }
  An index entry whose record is gone (its retention ended) is removed on the way, never returned.
  When the budget runs out first (a status that is rare among the jobs walked, such as queued among
  many finished jobs older than the cursor), the page is short and the cursor lets the next call go
  on from there.
]]
local cursor, limit, status, job_type = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local budget = tonumber(ARGV[5])

-- Where to look: the index of a rare status (failed, cancelled) or of the type, the smaller one when
-- both apply; otherwise every type index, merged. The status is then checked per record: jobs queued,
-- delayed or running are the newest ones, so walking newest first finds them early.
local sources
local by_status = nil
if INDEXED[status] then by_status = status_key(status) end
if by_status and job_type ~= '' then
  local by_type = type_key(job_type)
  if redis.call('ZCARD', by_status) <= redis.call('ZCARD', by_type) then
    sources = { by_status }
  else
    sources = { by_type }
  end
elseif by_status then
  sources = { by_status }
elseif job_type ~= '' then
  sources = { type_key(job_type) }
else
  sources = {}
  for i, t in ipairs(redis.call('SMEMBERS', TYPES)) do sources[i] = type_key(t) end
end

local jobs = {}
local max = '+'
if cursor ~= '' then max = '(' .. cursor end
local examined = 0
local last = nil
local exhausted = false
while #jobs < limit do
  local want = math.min(limit - #jobs, budget - examined)
  if want <= 0 then break end
  -- The `want` highest ids below `max` are among the `want` highest of each index.
  local batch = {}
  for _, source in ipairs(sources) do
    local ids = redis.call('ZREVRANGEBYLEX', source, max, '-', 'LIMIT', 0, want)
    for _, id in ipairs(ids) do batch[#batch + 1] = { id, source } end
  end
  if #batch == 0 then
    exhausted = true
    break
  end
  table.sort(batch, function(a, b) return a[1] > b[1] end)
  for i = 1, math.min(want, #batch) do
    local id, source = batch[i][1], batch[i][2]
    if id ~= last then
      examined = examined + 1
      last = id
      local fields = redis.call('HGETALL', job_key(id))
      if #fields == 0 then
        redis.call('ZREM', source, id)
      else
        local s, t
        for j = 1, #fields, 2 do
          if fields[j] == 's' then s = fields[j + 1] elseif fields[j] == 't' then t = fields[j + 1] end
        end
        if (status == '' or s == status) and (job_type == '' or t == job_type) then
          jobs[#jobs + 1] = { id, redis.call('GET', params_key(id)) or '', fields }
          if #jobs == limit then break end
        end
      end
    end
  end
  max = '(' .. last
end

local next_cursor = ''
if not exhausted and last then
  if #jobs < limit then
    next_cursor = last
  else
    for _, source in ipairs(sources) do
      if #redis.call('ZREVRANGEBYLEX', source, max, '-', 'LIMIT', 0, 1) > 0 then
        next_cursor = last
        break
      end
    end
  end
end
return { next_cursor, jobs }
