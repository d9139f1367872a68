--[[
  ack: completes one leased message, fenced by its token.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 token, 4 vars (JSON or ''), 5 hook name ('' = ack)
  Returns: 1 acknowledged, 0 stale token (nothing written)
]]
local ok = ack_one(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
if ok == 1 then tally('acked', 1) end
return ok
