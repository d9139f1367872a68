--[[
  extend: renews many leases in one call (a consumer's heartbeat).

  KEYS: see _lib.lua
  ARGV: 1 base, 2 lease ms, 3 count, then per lease: id, token
  Returns: per lease 0 lost (stale token or no longer leased), 1 renewed, 2 renewed and asked to stop
]]
local lease_ms, count = tonumber(ARGV[2]), tonumber(ARGV[3])
local read = fields_to_read({ 'T' })
local out = {}
for i = 0, count - 1 do
  local id, token = ARGV[4 + i * 2], ARGV[5 + i * 2]
  local result = 0
  if held_lease(id, token, read) then
    redis.call('ZADD', K_LEASED, 'XX', NOW + lease_ms, id)
    result = 1
    if redis.call('SISMEMBER', K_CANCEL, id) == 1 then result = 2 end
  end
  out[#out + 1] = result
end
return out
