--[[
  Settle a failed job as "retry later": ZADD it to 'retry', then LREM the
  exact fetched string from the private list. One script, so a crash never
  leaves the failure both recorded and still in flight, nor neither; the
  ZADD comes first, so if it fails (WRONGTYPE) the job stays in flight.
  Only the holder settles: when the private list no longer holds the fetched
  string (shutdown requeue or orphan recovery put it back on its queue, where
  it will run again) nothing is written, so the job is not run twice.
  KEYS[1]  queue:sq|<identity>|<queue>       private list the job was fetched into
  KEYS[2]  'retry'
  ARGV[1]  the job string exactly as fetched
  ARGV[2]  next attempt, float epoch seconds (the score)
  ARGV[3]  the job JSON with its failure fields (the member)
  Returns  1 when written, 0 when the private list no longer held ARGV[1]
]]
if not redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1) then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('LREM', KEYS[1], -1, ARGV[1])
return 1
