--[[
  Move due jobs from a sorted set ('retry' or 'schedule') to their queues
  (SIDEKIQ-CONTRACT.md §5.3; Pro's reliable scheduler moves up to 100 per
  call). Up to ARGV[2] members scored at or below now, lowest score first:
  * the queue is read from the payload with cjson (read only);
  * the member is pushed with its bytes unchanged except the top-level
    "enqueued_at" value, replaced by now (or added before the closing brace
    when absent). The payload is never re-encoded: cjson would turn [] into
    {} and round 17-digit integers (SIDEKIQ-TS.md, "How due jobs are moved");
  * SADD 'queues', LPUSH queue:<name>, and only then ZREM;
  * a member that is not a JSON object with a non-empty string "queue" goes
    to 'dead' as it is (score now) instead of being lost or retried forever.
  KEYS[1]  'retry' or 'schedule'
  KEYS[2]  'queues'
  KEYS[3]  'dead'
  ARGV[1]  now, float epoch seconds with a fractional part (score bound,
           new enqueued_at text, dead score)
  ARGV[2]  at most this many members, integer >= 1
  ARGV[3]  queue list prefix, 'queue:'
  ARGV[4]  optional: the new enqueued_at text when it is not ARGV[1]
           (integer epoch ms with the timestamps: 'ms' option)
  Returns  number of members moved (to a queue or to dead); equal to
           ARGV[2] when more may be due
]]

-- The payload's "queue" when it is a non-empty string, else nil.
local function queue_of(json)
  local ok, payload = pcall(cjson.decode, json)
  if not ok or type(payload) ~= 'table' then
    return nil
  end
  local queue = payload['queue']
  if type(queue) ~= 'string' or queue == '' then
    return nil
  end
  return queue
end

-- Whether a key's raw text (between its quotes) reads as "enqueued_at".
local function is_enqueued_at(raw)
  if raw == 'enqueued_at' then
    return true
  end
  if not string.find(raw, '\\', 1, true) then
    return false
  end
  local ok, key = pcall(cjson.decode, '"' .. raw .. '"')
  return ok and key == 'enqueued_at'
end

-- `json` (a valid JSON object) with every top-level "enqueued_at" value
-- replaced by `value`, or the key added before the closing brace; nil when
-- the text does not scan as an object. Walks the text once, skipping string
-- contents (with escapes) and tracking nesting, so keys and string values
-- inside args or nested objects are never touched.
local function set_enqueued_at(json, value)
  local start = string.find(json, '[^ \t\r\n]')
  if not start or string.byte(json, start) ~= 123 then -- '{'
    return nil
  end
  local depth, expect_key, keys, matched = 0, false, 0, false
  local value_from, close = nil, nil
  local spans = {}
  local pos = start
  while true do
    local at = string.find(json, '[{}%[%]",:]', pos)
    if not at then
      return nil
    end
    local c = string.byte(json, at)
    if c == 34 then -- '"': skip to the closing quote, honouring escapes
      local e = at + 1
      while true do
        local q = string.find(json, '["\\]', e)
        if not q then
          return nil
        end
        if string.byte(json, q) == 92 then
          e = q + 2
        else
          e = q
          break
        end
      end
      if depth == 1 and expect_key then
        expect_key = false
        keys = keys + 1
        matched = is_enqueued_at(string.sub(json, at + 1, e - 1))
      end
      pos = e + 1
    elseif c == 58 then -- ':'
      if depth == 1 and matched then
        value_from = at + 1
        matched = false
      end
      pos = at + 1
    elseif c == 44 then -- ','
      if depth == 1 then
        if value_from then
          spans[#spans + 1] = { value_from, at - 1 }
          value_from = nil
        end
        expect_key = true
      end
      pos = at + 1
    elseif c == 123 or c == 91 then -- '{' '['
      depth = depth + 1
      if depth == 1 then
        expect_key = true
      end
      pos = at + 1
    else -- '}' ']'
      depth = depth - 1
      if depth == 0 then
        if value_from then
          spans[#spans + 1] = { value_from, at - 1 }
        end
        close = at
        break
      end
      pos = at + 1
    end
  end
  if #spans == 0 then
    local comma = keys > 0 and ',' or ''
    return string.sub(json, 1, close - 1) .. comma .. '"enqueued_at":' .. value .. string.sub(json, close)
  end
  -- Replace from the last span back, so earlier offsets stay valid; keep
  -- the whitespace around each value.
  for i = #spans, 1, -1 do
    local from, to = spans[i][1], spans[i][2]
    from = string.find(json, '[^ \t\r\n]', from)
    while to > from and string.find(string.sub(json, to, to), '^[ \t\r\n]') do
      to = to - 1
    end
    json = string.sub(json, 1, from - 1) .. value .. string.sub(json, to + 1)
  end
  return json
end

local now = ARGV[1]
local enqueued_at = ARGV[4] or now
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  local queue = queue_of(member)
  if queue then
    redis.call('SADD', KEYS[2], queue)
    -- A decoded object always scans; keep the bytes as they are if it ever did not.
    redis.call('LPUSH', ARGV[3] .. queue, set_enqueued_at(member, enqueued_at) or member)
  else
    redis.call('ZADD', KEYS[3], now, member)
  end
  redis.call('ZREM', KEYS[1], member)
end
return #due
