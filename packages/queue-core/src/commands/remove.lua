--[[
  remove: takes a ready, delayed or waiting message out of the queue (cancellation); what waits on
  it fails or runs by its rule (see _deps.lua). A leased message is
  not removed: it is flagged so that its consumer's next heartbeat learns it should stop, and the
  id is published on `<base>:stop:<consumer>` so that a consumer listening learns it at once.

  KEYS: see _lib.lua
  ARGV: 1 base, 2 id, 3 vars (JSON or ''), 4 hook name ('' = remove)
  Returns: { outcome, detail }, outcome one of
    'removed' | 'cancel-requested' | 'refused' (detail: the hook's answer) | 'dead' | 'missing'
]]
local id = ARGV[2]
local hook = ARGV[4]
if hook == '' then hook = 'remove' end
local key = job_key(id)
local fields, record = read_message(key, fields_to_read({ 'A', 'E', 'T', 'C', 'L', 'W', 'N' }))
if not fields[1] then return { 'missing', '' } end
if fields[2] == '1' then
  if redis.call('ZSCORE', K_DEAD, id) then return { 'dead', '' } end
  return { 'missing', '' }
end
if fields[3] and fields[3] ~= '' then
  redis.call('SADD', K_CANCEL, id)
  -- Told at once to the consumer holding it, if it listens (TaskQueue.listenForStops); its next
  -- extend reports the flag anyway.
  redis.call('PUBLISH', BASE .. ':stop:' .. (fields[4] or ''), id)
  return { 'cancel-requested', '' }
end
local ctx = { vars = decode_vars(ARGV[3]), record = record }
local refusal = call_hook(hook, id, ctx)
if refusal ~= nil then return { 'refused', tostring(refusal) } end
if (tonumber(fields[6]) or 0) > 0 then
  -- Waiting on dependencies: the sets of those it waited on forget it when they end.
  redis.call('ZREM', K_BLOCKED, id)
elseif redis.call('ZREM', K_DELAYED, id) == 1 then
  redis.call('ZREM', K_PRIO, id)
elseif redis.call('ZREM', group_key(fields[5] or ''), id) == 1 then
  group_refresh(fields[5] or '')
else
  redis.call('LREM', K_READY, 1, id)
end
end_message(id, key, ctx.writes, 'cancelled')
if fields[7] == '1' then settle_waiters(id, 'cancelled') end
return { 'removed', '' }
