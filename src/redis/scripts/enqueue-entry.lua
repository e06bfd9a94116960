--[[
  Move one entry of a sorted set ('retry', 'schedule' or 'dead') to its
  queue now: Sidekiq's manual "Retry now" / "Add to queue" (Web UI and
  API, docs/sidekiq-contract.md §5.4). Sidekiq removes the entry by its exact
  score (disambiguating by jid) and then client-pushes it, two steps; here
  the entry is named by its exact member bytes and both happen in one
  script. The caller builds the payload to push losslessly (retry_count
  decremented for "retry", enqueued_at set). The push (SADD 'queues',
  LPUSH) comes before the ZREM, so a failed push (WRONGTYPE) leaves the
  entry where it was: a job is never lost. When the member is no longer in
  the set (moved or deleted by someone else) nothing is written, so a job
  is never pushed twice.
  KEYS[1]  'retry', 'schedule' or 'dead'
  KEYS[2]  'queues'
  KEYS[3]  queue:<name>                   the job's queue list
  ARGV[1]  the member, exactly as stored
  ARGV[2]  the job JSON to push
  ARGV[3]  the queue name (without 'queue:'), added to 'queues'
  Returns  1 when moved, 0 when KEYS[1] did not hold ARGV[1]
]]
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('LPUSH', KEYS[3], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return 1
