--[[
  Move one entry of 'retry' or 'schedule' to 'dead' now: Sidekiq's
  SortedEntry#kill (API and the Web UI's "Kill" button), which removes the
  entry by its score and then DeadSet#kill's it (ZADD, then the trim every
  dead add does, docs/sidekiq-contract.md §5.5). Here the entry is named by its
  exact member bytes and all of it happens in one script. The payload is
  not edited, as in Sidekiq. The ZADD comes before the ZREM, so a failed
  write leaves the entry where it was; when the member is no longer in the
  source set (moved by a poller, deleted) nothing is written.
  KEYS[1]  'retry' or 'schedule'          the set the entry is in
  KEYS[2]  'dead'
  ARGV[1]  the member, exactly as stored
  ARGV[2]  now, float epoch seconds (the dead score)
  ARGV[3]  cutoff, float epoch seconds: dead entries scored at or below it are removed
  ARGV[4]  dead_max_jobs, integer >= 1
  Returns  1 when moved, 0 when KEYS[1] did not hold ARGV[1]
]]
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -tonumber(ARGV[4]))
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
