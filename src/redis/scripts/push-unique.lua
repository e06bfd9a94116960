--[[
  Push one unique job: take its lock and push it in the same call, so a
  duplicate never reaches a queue and a lock never exists without its job.
  The lock's value is the jid that holds it (release is compare-and-delete).
  KEYS[1]  unique:<digest>                 the lock
  KEYS[2]  queue:<name> or 'schedule'      where the job goes
  KEYS[3]  'queues'                        set of queue names
  ARGV[1]  jid of this job
  ARGV[2]  lock TTL, milliseconds (> 0)
  ARGV[3]  the job JSON, exactly as it must be stored
  ARGV[4]  schedule score (epoch seconds) or '' for an immediate push
  ARGV[5]  queue name (SADD to 'queues' for an immediate push)
  Returns  1 when pushed, 0 when this jid already holds the lock (a repeated
           push after a lost reply: nothing is pushed twice), otherwise the
           jid currently holding the lock (a duplicate: nothing is pushed)
]]
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  return 0
end
if holder then
  return holder
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[4] == '' then
  redis.call('SADD', KEYS[3], ARGV[5])
  redis.call('LPUSH', KEYS[2], ARGV[3])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
end
return 1
