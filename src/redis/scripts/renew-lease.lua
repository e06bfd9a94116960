--[[
  Compare-and-expire: renew the leader's lease (dear-leader) only while the
  key still holds this identity, so a late renew never extends someone
  else's leadership, and never creates the key (it cannot outlive a resign).
  KEYS[1]  the lease key (dear-leader)
  ARGV[1]  the identity this caller set
  ARGV[2]  the new time to live, milliseconds
  Returns  1 when renewed, 0 when held by another identity or absent
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
