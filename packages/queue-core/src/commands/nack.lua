--[[
  nack: a leased message failed. It is retried after a delay, or dead-lettered when asked to or when
  this was its last attempt. Fenced by the token.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 token, 4 delay ms, 5 '1' to dead-letter now, 6 reason, 7 vars (JSON or ''),
        8 dead retention ms
  Returns: 'retry' | 'dead' | 'cancelled' (someone asked it to stop: it ends here) | 'stale'
]]
local id, token = ARGV[2], ARGV[3]
local delay, force_dead, reason = tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6]
local key, fields, record = held_lease(id, token, fields_to_read({ 'T', 'A', 'M', 'K', 'Y', 'L', 'S', 'N' }))
if key == nil then return 'stale' end
local attempt, max = tonumber(fields[2]) or 0, tonumber(fields[3]) or 1
local prio, group = fields[5], fields[6]
local vars = decode_vars(ARGV[7])
free_slots(id, fields[4])
if redis.call('SISMEMBER', K_CANCEL, id) == 1 then
  -- A stop was asked for while it ran: honour it rather than retry or dead-letter it.
  end_cancelled(id, key, token, attempt, 'cancelled while running', vars, record, fields[8])
  return 'cancelled'
end
if force_dead or attempt >= max then
  bury(id, key, attempt, token, reason, vars, record, fields[8])
  trim_dead(tonumber(ARGV[8]))
  return 'dead'
end
local due = NOW + delay
local ctx = { token = token, attempt = attempt, reason = reason, dueAt = due, vars = vars, record = record }
call_hook('retry', id, ctx)
-- A retry keeps its priority and goes to the back of its band (a new score, in the same write).
local score = score_of(due, prio)
revoke_lease(id, key, { 'S', score_text(score) }, ctx.writes)
if delay > 0 then
  redis.call('ZADD', K_DELAYED, due, id)
  note_delayed(id, prio, due)
else
  make_ready(id, false, prio, group, score)
  offer(1)
end
tally('retried', 1)
return 'retry'
