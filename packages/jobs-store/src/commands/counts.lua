--[[
  counts: jobs by status, without scanning: the size of each status index, after purging the finished
  jobs whose retention ended (at most ARGV[1] of them, so the call stays short).

  KEYS: 1 <BASE>:finished
  ARGV: 1 purge at most this many
  Returns: { queued, delayed, running, succeeded, failed, cancelled }
]]
purge_due(server_now(), tonumber(ARGV[1]))
local out = {}
for i, status in ipairs(STATUSES) do out[i] = redis.call('ZCARD', status_key(status)) end
return out
