--[[
  Settle a failed job as dead: ZADD it to 'dead', trim the dead set by age
  and size exactly as Sidekiq does on every add (docs/sidekiq-contract.md §5.5:
  ZREMRANGEBYSCORE -inf cutoff, ZREMRANGEBYRANK 0 -limit, so the set keeps
  at most limit - 1 entries after an add), then LREM the exact fetched
  string from the private list. The ZADD comes before the LREM, so a failed
  write leaves the job in flight rather than lost.
  Only the holder settles: when the private list no longer holds the fetched
  string (requeued by shutdown or orphan recovery) nothing is written.
  KEYS[1]  queue:sq|<identity>|<queue>       private list the job was fetched into
  KEYS[2]  'dead'
  ARGV[1]  the job string exactly as fetched
  ARGV[2]  the job JSON to store (the member)
  ARGV[3]  now, float epoch seconds (the score)
  ARGV[4]  cutoff, float epoch seconds: entries scored at or below it are removed
  ARGV[5]  dead_max_jobs, integer >= 1
  Returns  1 when written, 0 when the private list no longer held ARGV[1]
]]
if not redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[5]))
redis.call('LREM', KEYS[1], -1, ARGV[1])
return 1
