-- Apply a batch of state transitions: ARGV[2] is a JSON array of
-- { i = id, s = status or '', r = retries, t = ttl ms, c = { field = value or false },
--   n = { field = value } (the whole state, when the writer has it) }.
-- A transition applies when it moves the state forward (a later attempt, or a later stage
-- of the same one; the same stage again unless it is an end); a progress report ('' status)
-- applies to a state that has not ended. Returns the positions of transitions that found no
-- state and carried none, so the writer sends them again with it.
local RANK = { pending = 0, started = 1, success = 2, failure = 2, skipped = 2, canceled = 2 }
local updates = cjson.decode(ARGV[2])
local missing = {}

local function apply(key, changes)
  local sets, dels = {}, {}
  for field, value in pairs(changes) do
    if value == false then dels[#dels + 1] = field
    else
      sets[#sets + 1] = field
      sets[#sets + 1] = value
    end
  end
  if #sets > 0 then redis.call('HSET', key, unpack(sets)) end
  if #dels > 0 then redis.call('HDEL', key, unpack(dels)) end
end

for position, u in ipairs(updates) do
  local id = u.i
  local key = P .. 'm:' .. id
  local cur = redis.call('HMGET', key, 'status', 'retries', 'enqueuedAt')
  local applied = false
  if not cur[1] then
    if u.s ~= '' then
      if u.n then
        apply(key, u.n)
        apply(key, u.c)
        redis.call('HSET', key, 'status', u.s, 'retries', u.r)
        local n = u.n
        local score = tonumber(n.enqueuedAt)
        local composition = n.compositionId or ''
        redis.call('ZADD', P .. 'all', score, id)
        redis.call('ZADD', P .. 'status:' .. u.s, score, id)
        redis.call('ZADD', P .. 'actor:' .. n.actorName, score, id)
        redis.call('ZADD', P .. 'queue:' .. n.queueName, score, id)
        if composition ~= '' then redis.call('ZADD', P .. 'composition:' .. composition, score, id) end
        redis.call('HSET', P .. 'where', id, cjson.encode({ n.actorName, n.queueName, composition }))
        applied = true
      else
        missing[#missing + 1] = position
      end
    end
  else
    local stored = RANK[cur[1]]
    if u.s == '' then
      if stored < 2 then
        apply(key, u.c)
      end
    else
      local retries = tonumber(cur[2])
      local next = RANK[u.s]
      local forward
      if u.r ~= retries then forward = u.r > retries
      else forward = next > stored or (next == stored and next < 2) end
      if forward then
        apply(key, u.c)
        redis.call('HSET', key, 'status', u.s, 'retries', u.r)
        if cur[1] ~= u.s then
          redis.call('ZREM', P .. 'status:' .. cur[1], id)
          redis.call('ZADD', P .. 'status:' .. u.s, tonumber(cur[3]), id)
        end
        applied = true
      end
    end
  end
  if cur[1] or applied then
    redis.call('PEXPIRE', key, u.t)
    redis.call('ZADD', P .. 'expiry', now + u.t, id)
  end
  if applied and u.s ~= '' then redis.call('PUBLISH', P .. 'changed:' .. id, u.s) end
end

cleanup(100)
return missing
