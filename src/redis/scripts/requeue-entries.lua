--[[
  Reconciliation (src/server/reconciler.ts): put entries of this process's
  private list that no job of the process holds back on their queue. Each
  entry is removed by its exact bytes, one occurrence (LREM -1, from the
  oldest end), and pushed on the RIGHT end of the queue (the end that runs
  next, as requeue-private.lua) only if that LREM removed it, so an entry
  acked, retried or recovered meanwhile is never duplicated.
  KEYS[1]  queue:sq|<identity>|<queue>       the private list
  KEYS[2]  queue:<queue>                     where the entries go back
  KEYS[3]  'queues'                          re-registers the queue
  ARGV[1]  queue name
  ARGV[2..n]  entries, byte for byte, one per copy to put back
  Returns  how many entries moved
]]
local moved = 0
for i = 2, #ARGV do
  if redis.call('LREM', KEYS[1], -1, ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[2], ARGV[i])
    moved = moved + 1
  end
end
if moved > 0 then
  redis.call('SADD', KEYS[3], ARGV[1])
end
return moved
