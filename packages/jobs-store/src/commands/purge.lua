--[[
  purge: ends the retention of finished jobs whose time is up (see purge_due in _lib.lua).

  KEYS: 1 <BASE>:finished
  ARGV: 1 at most this many jobs
  Returns: how many were purged (fewer than ARGV[1]: none is left due)
]]
return purge_due(server_now(), tonumber(ARGV[1]))
