--[[
  list: one page of jobs, newest first (highest id first), filtered by status, type and/or tag, and
  by creation time. Ids are ULIDs, so an index with all scores 0 is in creation order and
  ZREVRANGEBYLEX from the cursor gives the next page: jobs added meanwhile have higher ids and never
  shift a later page; and a creation time is a range of ids (the id starts with its time).

  KEYS: 1 <BASE>:finished (for routing; the indexes are named from BASE)
  ARGV: 1 the highest id to return, as a ZREVRANGEBYLEX bound ('+' = from the newest; '(' .. the
        last id of the previous page, or the bound of createdBefore), 2 limit,
        3 status ('' = any), 4 type ('' = any), 5 budget: index entries examined at most,
        6 tag ('' = any), 7 the lowest id to return, as a bound ('-' = none; createdAfter)
  Returns: { next cursor ('' = no more), jobs: { { id, payload ('' = gone), { hash fields } } } }
  An index entry whose record is gone (its retention ended) is removed on the way, never returned.
  When the budget runs out first (a status that is rare among the jobs walked, such as queued among
  many finished jobs older than the cursor), the page is short and the cursor lets the next call go
  on from there.
]]
local max, limit, status, job_type = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local budget, tag, min = tonumber(ARGV[5]), ARGV[6], ARGV[7]

-- Where to look: the smallest index that holds every job asked for (see filter_sources). The status
-- is then checked per record: jobs queued, delayed or running are the newest ones, so walking newest
-- first finds them early.
local sources = filter_sources(status, job_type, tag)

local jobs = {}
local examined = 0
local last = nil
local exhausted = false
while #jobs < limit do
  local want = math.min(limit - #jobs, budget - examined)
  if want <= 0 then break end
  -- The `want` highest ids below `max` are among the `want` highest of each index.
  local batch = {}
  for _, source in ipairs(sources) do
    local ids = redis.call('ZREVRANGEBYLEX', source, max, min, 'LIMIT', 0, want)
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
        local s, t, g, payload
        for j = 1, #fields, 2 do
          local name = fields[j]
          if name == 's' then s = fields[j + 1] elseif name == 't' then t = fields[j + 1]
          elseif name == 'g' then g = fields[j + 1] elseif name == 'P' then payload = fields[j + 1] end
        end
        if (status == '' or s == status) and (job_type == '' or t == job_type) and (tag == '' or has_tag(g, tag)) then
          -- A payload longer than the listpack's limit lives beside the hash.
          jobs[#jobs + 1] = { id, payload or redis.call('GET', payload_key(id)) or '', fields }
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
      if #redis.call('ZREVRANGEBYLEX', source, max, min, 'LIMIT', 0, 1) > 0 then
        next_cursor = last
        break
      end
    end
  end
end
return { next_cursor, jobs }
