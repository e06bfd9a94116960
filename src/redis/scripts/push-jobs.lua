--[[
  Push a small batch of immediate jobs of one queue: register the queue and
  push the jobs in one call instead of a pipeline of SADD + LPUSH (what
  Sidekiq's client does per push, lib/sidekiq/client.rb `raw_push`).
  KEYS[1]  'queues'                        set of queue names
  KEYS[2]  queue:<name>                    the queue
  ARGV[1]  queue name (SADD to 'queues')
  ARGV     the rest: the job JSONs, exactly as they must be stored, in push order
  Returns  the queue's length after the push (as LPUSH)
]]
redis.call('SADD', KEYS[1], ARGV[1])
return redis.call('LPUSH', KEYS[2], unpack(ARGV, 2))
