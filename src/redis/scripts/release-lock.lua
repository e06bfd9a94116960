--[[
  Compare-and-delete: release a lock only while it still holds this value,
  so a late release never frees someone else's lock.
  KEYS[1]  the lock key (unique:<digest>, dear-leader)
  ARGV[1]  the value this caller set (a jid or an identity)
  Returns  1 when deleted, 0 when held by another value or absent
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
