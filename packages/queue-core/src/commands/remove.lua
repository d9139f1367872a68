--[[
  remove: takes a ready or delayed message out of the queue (cancellation). A leased message is
  not removed: it is flagged so that its consumer's next heartbeat learns it should stop.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 vars (JSON or ''), 4 hook name ('' = remove)
  Returns: { outcome, detail }, outcome one of
    'removed' | 'cancel-requested' | 'refused' (detail: the hook's answer) | 'dead' | 'missing'
]]
local id = ARGV[2]
local hook = ARGV[4]
if hook == '' then hook = 'remove' end
local key = msg_key(id)
if redis.call('EXISTS', key) == 0 then return { 'missing', '' } end
if redis.call('ZSCORE', K_LEASED, id) then
  redis.call('SADD', K_CANCEL, id)
  return { 'cancel-requested', '' }
end
if redis.call('ZSCORE', K_DEAD, id) then return { 'dead', '' } end
local refusal = call_hook(hook, id, { vars = decode_vars(ARGV[3]) })
if refusal ~= nil then return { 'refused', tostring(refusal) } end
if redis.call('ZREM', K_DELAYED, id) == 0 then
  redis.call('LREM', K_READY, 1, id)
end
redis.call('DEL', key)
return { 'removed', '' }
