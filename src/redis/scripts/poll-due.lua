--[[
  Move due jobs from a sorted set ('retry' or 'schedule') to their queues
  (docs/sidekiq-contract.md §5.3; Pro's reliable scheduler moves up to 100 per
  call). Up to ARGV[2] members scored at or below now, lowest score first:
  * the queue is read from the payload's top level by a one-pass text
    scanner, not cjson: cjson refuses more than 1000 levels of nesting, and
    a deeply nested job that a queue would run must run from here too;
  * the member is pushed with its bytes unchanged except the top-level
    "enqueued_at" value, replaced by now (or added before the closing brace
    when absent). The payload is never re-encoded: cjson would turn [] into
    {} and round 17-digit integers (docs/architecture.md §2);
  * SADD 'queues', LPUSH queue:<name>, and only then ZREM;
  * a member that is not a JSON object with a non-empty string "queue" goes
    to 'dead' (score now) instead of being lost or retried forever, wrapped
    in a job-shaped object Sidekiq's Dead page can show (src/job/dead-letter.ts
    builds the same for the runner): class "Kiq::InvalidJob", args [the
    member's text], its jid (else the first 24 hex of its SHA-1), queue
    "default", retry 0, error_class "InvalidJobError", error_message (the reason),
    failed_at, kiq_source (the set it came from); a member that is not
    UTF-8 is carried as ASCII, every byte outside printable ASCII and the
    backslash as \xNN, with kiq_escaped true.
  KEYS[1]  'retry' or 'schedule'
  KEYS[2]  'queues'
  KEYS[3]  'dead'
  ARGV[1]  now, float epoch seconds with a fractional part (score bound,
           new enqueued_at text, dead score)
  ARGV[2]  at most this many members, integer >= 1
  ARGV[3]  queue list prefix, 'queue:'
  ARGV[4]  dead cutoff, float epoch seconds: after a dead add, entries scored
           at or below it are removed (Sidekiq's trim on every add, as
           kill-job.lua)
  ARGV[5]  dead_max_jobs, integer >= 1 (then ZREMRANGEBYRANK 0 -limit)
  ARGV[6]  optional: the new enqueued_at text when it is not ARGV[1]
           (integer epoch ms with the timestamps: 'ms' option)
  Returns  { moved, dead... }: moved is the number of members moved (to a
           queue or to dead), equal to ARGV[2] when more may be due; then one
           { jid, reason, excerpt } per member sent to dead (jid: the dead
           entry's; excerpt: the member's first 200 bytes, those outside
           printable ASCII and the backslash as \xNN)
]]

-- The name of a key from its raw text between the quotes.
local function key_name(raw)
  if not string.find(raw, '\\', 1, true) then
    return raw
  end
  local ok, key = pcall(cjson.decode, '"' .. raw .. '"')
  return ok and key or nil
end

-- The string a raw JSON value stands for, or nil when it is not a string.
local function string_value(raw)
  if string.byte(raw, 1) ~= 34 or #raw < 2 or string.byte(raw, #raw) ~= 34 then
    return nil
  end
  local inner = string.sub(raw, 2, -2)
  if not string.find(inner, '[\\"]') then
    return inner
  end
  local ok, value = pcall(cjson.decode, raw)
  return ok and type(value) == 'string' and value or nil
end

-- One pass over `json`, skipping string contents (with escapes) and
-- counting nesting (a counter, no recursion: no depth limit). For an
-- object returns { close = offset of its closing brace, keys = top-level
-- key count, spans = { [name] = { {from, to}, ... } } } with the raw value
-- span of every top-level key; else nil and why.
local function scan(json)
  local start = string.find(json, '[^ \t\r\n]')
  if not start or string.byte(json, start) ~= 123 then -- '{'
    return nil, 'not a JSON object'
  end
  local depth, expect_key, keys, name = 0, false, 0, nil
  local value_from = nil
  local spans = {}
  local function close_value(to)
    if value_from and name then
      spans[name] = spans[name] or {}
      table.insert(spans[name], { value_from, to })
    end
    value_from, name = nil, nil
  end
  local pos = start
  while true do
    local at = string.find(json, '[{}%[%]",:]', pos)
    if not at then
      return nil, 'unterminated JSON object'
    end
    local c = string.byte(json, at)
    if c == 34 then -- '"': skip to the closing quote, honouring escapes
      local e = at + 1
      while true do
        local q = string.find(json, '["\\]', e)
        if not q then
          return nil, 'unterminated JSON object'
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
        name = key_name(string.sub(json, at + 1, e - 1))
      end
      pos = e + 1
    elseif c == 58 then -- ':'
      if depth == 1 and not value_from then
        value_from = at + 1
      end
      pos = at + 1
    elseif c == 44 then -- ','
      if depth == 1 then
        close_value(at - 1)
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
        close_value(at - 1)
        return { close = at, keys = keys, spans = spans }
      end
      pos = at + 1
    end
  end
end

-- The trimmed raw text of the last top-level value of `name`, or nil.
local function raw_value(json, scanned, name)
  local list = scanned.spans[name]
  if not list then
    return nil
  end
  local span = list[#list]
  local from = string.find(json, '[^ \t\r\n]', span[1])
  if not from or from > span[2] then
    return ''
  end
  local to = span[2]
  while to > from and string.find(string.sub(json, to, to), '^[ \t\r\n]') do
    to = to - 1
  end
  return string.sub(json, from, to)
end

-- `json` with every top-level "enqueued_at" value replaced by `value`, or
-- the key added before the closing brace; keys and values inside args or
-- nested objects are never touched, the whitespace around each value kept.
local function set_enqueued_at(json, scanned, value)
  local spans = scanned.spans['enqueued_at']
  if not spans then
    local comma = scanned.keys > 0 and ',' or ''
    return string.sub(json, 1, scanned.close - 1) .. comma .. '"enqueued_at":' .. value .. string.sub(json, scanned.close)
  end
  -- Replace from the last span back, so earlier offsets stay valid.
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

-- Bytes outside printable ASCII (and the backslash) as \xNN.
local function escape_bytes(text)
  return (string.gsub(text, '.', function(c)
    local b = string.byte(c)
    if b < 32 or b > 126 or b == 92 then
      return string.format('\\x%02x', b)
    end
  end))
end

-- Whether `text` is valid UTF-8 (lead bytes and continuation counts).
local function valid_utf8(text)
  if not string.find(text, '[\128-\255]') then
    return true
  end
  local i, n = 1, #text
  while i <= n do
    local c = string.byte(text, i)
    local len = c < 128 and 1 or (c >= 194 and c <= 223) and 2 or (c >= 224 and c <= 239) and 3 or (c >= 240 and c <= 244) and 4 or 0
    if len == 0 then
      return false
    end
    for j = i + 1, i + len - 1 do
      local cc = string.byte(text, j)
      if not cc or cc < 128 or cc > 191 then
        return false
      end
    end
    i = i + len
  end
  return true
end

local now = ARGV[1]
local enqueued_at = ARGV[6] or now
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local reply = { #due }
for _, member in ipairs(due) do
  local scanned, why = scan(member)
  local queue, jid = nil, nil
  if scanned then
    queue = string_value(raw_value(member, scanned, 'queue') or '')
    jid = string_value(raw_value(member, scanned, 'jid') or '')
    if queue == '' then
      queue = nil
    end
    if jid == '' then
      jid = nil
    end
    if not queue then
      why = 'no non-empty string "queue" at the top level'
    end
  end
  if queue then
    redis.call('SADD', KEYS[2], queue)
    redis.call('LPUSH', ARGV[3] .. queue, set_enqueued_at(member, scanned, enqueued_at))
  else
    local text = member
    local entry = {
      class = 'Kiq::InvalidJob',
      queue = 'default',
      jid = jid or string.sub(redis.sha1hex(member), 1, 24),
      retry = 0,
      error_class = 'InvalidJobError',
      error_message = 'invalid job: ' .. why,
      failed_at = tonumber(now),
      kiq_source = KEYS[1],
    }
    -- JSON strings hold text: bytes that are not UTF-8 are kept as \xNN
    if not valid_utf8(member) then
      text = escape_bytes(member)
      entry.kiq_escaped = true
    end
    entry.args = { text }
    redis.call('ZADD', KEYS[3], now, cjson.encode(entry))
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[4])
    redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -tonumber(ARGV[5]))
    table.insert(reply, { entry.jid, why, escape_bytes(string.sub(member, 1, 200)) })
  end
  redis.call('ZREM', KEYS[1], member)
end
return reply
