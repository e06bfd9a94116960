--[[
  Recover one dead process's in-flight jobs (Pro super_fetch orphan
  recovery, docs/sidekiq-contract.md §9; fixes docs/kiq-elixir.md bug 1).
  Whether the process is dead is decided here, in the same atomic step that
  moves its jobs, so a process that just came back keeps them: a Kiq server
  (a member of 'kiq:leases') is dead once its lease has ended by Redis's
  clock; any other identity (an older Kiq, a real Sidekiq Pro process) only
  while its heartbeat hash is missing. ARGV[7] '1' skips the check: the
  caller is that identity, taking back its predecessor's lists at start.
  Its private lists are the members of <identity>:super_queues plus the
  names in ARGV[8..n] (found by SCAN when that set is missing). A list's
  queue is everything after its second '|' (identities never contain '|',
  queue names may). Each job, newest fetched first, goes back to the RIGHT
  end of its queue (LMOVE LEFT RIGHT), so the oldest fetched runs first and
  all run before anything pushed since; bytes are never touched.
  Poison pills: a job whose jid (read with cjson, read only) has been
  recovered more than ARGV[3] times within ARGV[4] seconds goes to 'dead'
  (raw bytes, score now) instead; its counter is then deleted, so a manual
  retry starts afresh. Counting starts at the first recovery (INCR, TTL set
  when the counter has none). A job without a string jid is always requeued.
  A job is written to its new place before it leaves the private list.
  Then the identity is unregistered (SREM super_processes, DEL super_queues)
  and, unless it took back its own lists, its lease is dropped.
  KEYS[1]  'super_processes'
  KEYS[2]  <identity>:super_queues
  KEYS[3]  <identity>                        heartbeat hash; present = alive
  KEYS[4]  'dead'
  KEYS[5]  'queues'                          re-registers a queue that gets jobs back
  KEYS[6]  'kiq:leases'                      Kiq liveness leases, score = end in epoch ms
  ARGV[1]  identity
  ARGV[2]  now, float epoch seconds (dead score)
  ARGV[3]  most recoveries a job may have within the window, integer >= 0
  ARGV[4]  window, integer seconds >= 1
  ARGV[5]  queue list prefix, 'queue:'
  ARGV[6]  recovery counter prefix, 'recoveries:'
  ARGV[7]  '1': the caller owns the identity (no liveness check, lease kept); else '0'
  ARGV[8..n]  more private list names (may be none)
  Returns  -1 when the process is alive (nothing changed), else
           { jobs requeued, jobs sent to dead }
]]
-- Redis 6.2 replicates scripts verbatim unless told otherwise: TIME then writes needs effects replication
if redis.replicate_commands then
  redis.replicate_commands()
end
local own = ARGV[7] == '1'
if not own then
  local lease = redis.call('ZSCORE', KEYS[6], ARGV[1])
  if lease then
    local time = redis.call('TIME')
    if tonumber(lease) > tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) then
      return -1
    end
  elseif redis.call('EXISTS', KEYS[3]) == 1 then
    return -1
  end
end
local now, most, window = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])

-- The payload's jid when it is a JSON object with a non-empty string jid.
local function jid_of(json)
  local ok, payload = pcall(cjson.decode, json)
  if not ok or type(payload) ~= 'table' then
    return nil
  end
  local jid = payload['jid']
  if type(jid) ~= 'string' or jid == '' then
    return nil
  end
  return jid
end

local lists = redis.call('SMEMBERS', KEYS[2])
for i = 8, #ARGV do
  lists[#lists + 1] = ARGV[i]
end
local seen = {}
local requeued, dead = 0, 0
for _, list in ipairs(lists) do
  local first = string.find(list, '|', 1, true)
  local second = first and string.find(list, '|', first + 1, true)
  if not seen[list] and second and second < #list then
    seen[list] = true
    local queue = string.sub(list, second + 1)
    local target = ARGV[5] .. queue
    local moved = 0
    while true do
      local job = redis.call('LINDEX', list, 0)
      if not job then
        break
      end
      local jid = jid_of(job)
      local counter = jid and ARGV[6] .. jid
      local pill = false
      if counter then
        pill = redis.call('INCR', counter) > most
        if redis.call('TTL', counter) < 0 then
          redis.call('EXPIRE', counter, window)
        end
      end
      if pill then
        redis.call('ZADD', KEYS[4], now, job)
        redis.call('LPOP', list)
        redis.call('DEL', counter)
        dead = dead + 1
      else
        redis.call('LMOVE', list, target, 'LEFT', 'RIGHT')
        moved = moved + 1
      end
    end
    if moved > 0 then
      redis.call('SADD', KEYS[5], queue)
    end
    requeued = requeued + moved
  end
end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
if not own then
  redis.call('ZREM', KEYS[6], ARGV[1])
end
return { requeued, dead }
