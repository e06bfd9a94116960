--[[
  Graceful shutdown (docs/sidekiq-contract.md §4, §9): put every job still in
  this process's private lists for the named queues back on the RIGHT end
  of its queue (the end that runs next), in the order it was fetched, and
  unregister those lists. Each job moves with one LMOVE LEFT RIGHT (newest
  fetched first), so the oldest fetched ends up rightmost and the jobs run
  again in their original order, before anything pushed since; bytes are
  never touched.
  The process itself is unregistered (SREM super_processes, DEL
  super_queues) once none of its private lists is registered any more, so
  queues may be requeued one call each as they finish, and a list nobody
  requeued stays registered for orphan recovery.
  KEYS[1]  'super_processes'
  KEYS[2]  <identity>:super_queues
  KEYS[3]  'queues'                          re-registers a queue that gets jobs back
  ARGV[1]  identity
  ARGV[2]  private list prefix, 'queue:sq|<identity>|'
  ARGV[3]  queue list prefix, 'queue:'
  ARGV[4..n]  queue names (may be none)
  Returns  number of jobs moved back
]]
local moved = 0
for i = 4, #ARGV do
  local queue = ARGV[i]
  local list = ARGV[2] .. queue
  local n = 0
  while redis.call('LMOVE', list, ARGV[3] .. queue, 'LEFT', 'RIGHT') do
    n = n + 1
  end
  if n > 0 then
    redis.call('SADD', KEYS[3], queue)
  end
  redis.call('SREM', KEYS[2], list)
  moved = moved + n
end
if redis.call('SCARD', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[1], ARGV[1])
  redis.call('DEL', KEYS[2])
end
return moved
