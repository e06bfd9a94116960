--[[
  Acknowledge finished jobs: remove each one's exact fetched string from the
  private list (LREM -1: one occurrence, from the oldest end). One call per
  private list and batch instead of one LREM command per job.
  KEYS[1]  queue:sq|<identity>|<queue>      the private list
  ARGV     the fetched strings, byte for byte, one per finished job
  Returns  how many were removed (a string already requeued by shutdown or
           orphan recovery is no longer there: not an error)
]]
local removed = 0
for i = 1, #ARGV do
  removed = removed + redis.call('LREM', KEYS[1], -1, ARGV[i])
end
return removed
