--[[
  delete: deletes a finished job (succeeded, failed or cancelled) and every trace of it (see
  delete_finished in _lib.lua). Refuses, writing nothing, a job that is not finished or whose message
  has not ended (a worker may still hold it): a running job is never deleted under its worker.

  KEYS: 1 the job's hash (<BASE>:job:<id>)
  ARGV: 1 id
  Returns: 'deleted', 'missing' (no such job), or the job's status when it is not finished
]]
local id = ARGV[1]
local f = redis.call('HMGET', KEYS[1], 's', 't', 'i', 'E', 'T', 'g')
local status, job_type, idem, ended, token, tags = f[1], f[2], f[3], f[4], f[5], f[6]
if not status then return 'missing' end
if not FINISHED_STATUSES[status] or ended ~= '1' or (token and token ~= '') then return status end
delete_finished(id, status, job_type or '?', tags or nil, idem or nil)
return 'deleted'
