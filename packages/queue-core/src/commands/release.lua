--[[
  release: a consumer hands leases back without running them (graceful shutdown). The message goes
  back to the front of the ready list (of its group, with its score) and the attempt does not count.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 count, then per lease: id, token
  Returns: how many leases were released (stale ones are skipped; one that someone asked to stop
           ends there, through the cancel hook, instead of going back to the queue)
]]
local count = tonumber(ARGV[2])
local released = 0
for i = 0, count - 1 do
  local id, token = ARGV[3 + i * 2], ARGV[4 + i * 2]
  local key, fields, record = held_lease(id, token, fields_to_read({ 'T', 'A', 'K', 'Y', 'L', 'S', 'N' }))
  if key then free_slots(id, fields[3]) end
  if key and redis.call('SISMEMBER', K_CANCEL, id) == 1 then
    end_cancelled(id, key, token, tonumber(fields[2]), 'cancelled before it finished', nil, record, fields[7])
  elseif key then
    local attempt = tonumber(fields[2]) - 1
    local ctx = { token = token, attempt = attempt, record = record }
    call_hook('release', id, ctx)
    revoke_lease(id, key, { 'A', attempt }, ctx.writes)
    make_ready(id, true, fields[4], fields[5], tonumber(fields[6]) or NOW)
    released = released + 1
  end
end
if released > 0 then
  tally('released', released)
  offer(released)
end
return released
