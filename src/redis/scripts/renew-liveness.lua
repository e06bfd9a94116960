--[[
  Renew this Kiq server's liveness lease (src/server/liveness.ts): its
  member in the 'kiq:leases' zset scores the lease end, now + ttl in epoch
  milliseconds by Redis's clock (TIME), so no process's clock matters.
  recover-orphan.lua reads the score with the same clock.
  KEYS[1]  'kiq:leases'
  ARGV[1]  identity
  ARGV[2]  lease time to live, milliseconds
  Returns  the lease end, epoch ms
]]
-- Redis 6.2 replicates scripts verbatim unless told otherwise: TIME then a write needs effects replication
if redis.replicate_commands then
  redis.replicate_commands()
end
local time = redis.call('TIME')
local ends = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], ends, ARGV[1])
return ends
