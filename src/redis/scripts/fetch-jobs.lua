--[[
  Reliable fetch, Sidekiq Pro super_fetch layout (docs/sidekiq-contract.md §9):
  first acknowledge finished jobs (LREM -1 of each one's exact fetched
  string from the private list, as ack-jobs.lua does), then register this
  process and its private list, then move up to ARGV[2] jobs from the queue
  into the private list with LMOVE RIGHT LEFT, oldest first.
  The acks run before any check: removing a finished job is always right,
  so they apply also when the reply is -1 or -2.
  Each job moves in one command, so it is always in exactly one of the two
  lists; its bytes are never touched.
  Registration runs on every call (SADD is idempotent), so it comes back by
  itself after a Redis restart or an orphan recovery that unregistered us.
  Nothing moves while the heartbeat hash is missing: orphan recovery takes
  a registered identity without one for dead, and would hand the job to a
  second process (docs/kiq-elixir.md, bugs 1 and 18). Nothing moves
  from a paused queue (a member of the Sidekiq Pro 'paused' set).
  KEYS[1]  'super_processes'                 registry of identities
  KEYS[2]  <identity>:super_queues           registry of private list names
  KEYS[3]  <identity>                        heartbeat hash (must exist)
  KEYS[4]  queue:<name>                      source list (oldest at the right)
  KEYS[5]  queue:sq|<identity>|<name>        private list (also the SADD member)
  KEYS[6]  'paused'                          set of paused queue names
  ARGV[1]  identity
  ARGV[2]  at most this many jobs, integer >= 0 (0: no jobs moved; acks, registration and checks still run)
  ARGV[3]  the queue's name (without 'queue:')
  ARGV[4]  n, how many acks follow (integer >= 0; missing means 0)
  ARGV[5 .. 4+n]  the finished jobs' fetched strings, byte for byte
  Returns  the moved job strings, byte-exact, oldest first (possibly empty);
           -1 (acks applied, nothing registered, nothing moved) when the
           heartbeat is missing;
           -2 (acks applied, registered, nothing moved) when the queue is paused
]]
local acks = tonumber(ARGV[4] or '0')
for i = 5, 4 + acks do
  redis.call('LREM', KEYS[5], -1, ARGV[i])
end
if redis.call('EXISTS', KEYS[3]) == 0 then
  return -1
end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], KEYS[5])
if redis.call('SISMEMBER', KEYS[6], ARGV[3]) == 1 then
  return -2
end
local jobs = {}
for i = 1, tonumber(ARGV[2]) do
  local job = redis.call('LMOVE', KEYS[4], KEYS[5], 'RIGHT', 'LEFT')
  if not job then
    break
  end
  jobs[i] = job
end
return jobs
