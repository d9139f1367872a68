--[[
  counts: jobs by status, without scanning, after purging the finished jobs whose retention ended (at
  most ARGV[1] of them, so the call stays short). A live status counts the moves into it less the
  moves out of it; failed and cancelled jobs have indexes; the finished index holds every finished job,
  so succeeded is what is left of it.

  KEYS: 1 <BASE>:finished
  ARGV: 1 purge at most this many
  Returns: { waiting, queued, delayed, running, succeeded, failed, cancelled }
]]
purge_due(server_now(), tonumber(ARGV[1]))
local live = { waiting = 0, queued = 0, delayed = 0, running = 0 }
local moves = redis.call('HGETALL', MOVES)
for i = 1, #moves, 2 do
  local from, to = string.match(moves[i], '^([^>]*)>(.+)$')
  local n = tonumber(moves[i + 1])
  if live[from] then live[from] = live[from] - n end
  if live[to] then live[to] = live[to] + n end
end
local failed = redis.call('ZCARD', status_key('failed'))
local cancelled = redis.call('ZCARD', status_key('cancelled'))
return { live.waiting, live.queued, live.delayed, live.running, redis.call('ZCARD', FINISHED) - failed - cancelled, failed, cancelled }
