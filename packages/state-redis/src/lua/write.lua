-- Apply a batch of state transitions, one per ARGV[2..], its parts separated by NUL (JSON
-- text never holds a raw NUL):
--   id, status ('' for a progress report), retries, ttl ms,
--   startedAt, endedAt, eta, error, progress   ('-' unchanged, '' removed, else the value),
--   n, then n field, value pairs (other changed fields),
--   '-' when the writer did not send the whole state, else: actorName, queueName, priority,
--   compositionId, enqueuedAt, args, kwargs, options, then startedAt..progress as above.
-- An empty field reads as absent. A transition applies when it moves the state forward (a
-- later attempt, or a later stage of the same one; the same stage again unless it is an end);
-- a progress report applies to a state that has not ended. The key's TTL is renewed when it
-- is older than a hundredth of the TTL (`touched`), so a start and an end close together
-- cost one renewal. Index moves are gathered and made once per set at the end; the new
-- statuses go out in one notice (`id status` lines) when someone listens. Returns the
-- positions of transitions that found no state and carried none, so the writer sends them
-- again with it.
local RANK = { pending = 0, started = 1, success = 2, failure = 2, skipped = 2, canceled = 2 }
local TIMES = { 'startedAt', 'endedAt', 'eta', 'error', 'progress' }
local BASE = { 'actorName', 'queueName', 'priority', 'compositionId', 'enqueuedAt', 'args', 'kwargs', 'options' }
local listening = redis.call('PUBSUB', 'NUMSUB', P .. 'changed')[2] > 0
local missing = {}
local notice = {}
local adds = {}    -- sorted set key -> { score, member, ... }
local froms = {}   -- id -> status before this batch (false when new)
local tos = {}     -- id -> status now
local scores = {}  -- id -> enqueuedAt
local order = {}

local function zadd(key, score, member)
  local list = adds[key]
  if not list then
    list = {}
    adds[key] = list
  end
  list[#list + 1] = score
  list[#list + 1] = member
end

-- The parts of one transition.
local function split(text)
  local out, at = {}, 1
  while true do
    local z = string.find(text, '\0', at, true)
    if not z then
      out[#out + 1] = string.sub(text, at)
      return out
    end
    out[#out + 1] = string.sub(text, at, z - 1)
    at = z + 1
  end
end

-- Append the five time-like fields from f[from..from+4] that are not '-'.
local function times(sets, f, from)
  for k = 0, 4 do
    local v = f[from + k]
    if v ~= '-' then
      sets[#sets + 1] = TIMES[k + 1]
      sets[#sets + 1] = v
    end
  end
end

for position = 1, #ARGV - 1 do
  local f = split(ARGV[position + 1])
  local id, status, retries, ttl = f[1], f[2], tonumber(f[3]), tonumber(f[4])
  local extra = tonumber(f[10])
  local initial = 11 + 2 * extra
  local key = P .. 'm:' .. id
  local cur = redis.call('HMGET', key, 'status', 'retries', 'enqueuedAt', 'touched')
  local sets = {}
  local applied = false
  local renew = false
  if not cur[1] then
    if status ~= '' then
      if f[initial] ~= '-' then
        for k = 1, 8 do
          local v = f[initial + k - 1]
          if v ~= '' then
            sets[#sets + 1] = BASE[k]
            sets[#sets + 1] = v
          end
        end
        times(sets, f, initial + 8)
        local score = tonumber(f[initial + 4])
        local actor, queue, composition = f[initial], f[initial + 1], f[initial + 3]
        zadd(P .. 'all', score, id)
        zadd(P .. 'actor:' .. actor, score, id)
        zadd(P .. 'queue:' .. queue, score, id)
        if composition ~= '' then zadd(P .. 'composition:' .. composition, score, id) end
        zadd(P .. 'expiry', now + ttl, id .. '\0' .. actor .. '\0' .. queue .. '\0' .. composition)
        froms[id] = false
        scores[id] = score
        order[#order + 1] = id
        applied = true
      else
        missing[#missing + 1] = position
      end
    end
  elseif status == '' then
    if RANK[cur[1]] < 2 then applied = true end
  else
    local stored = tonumber(cur[2])
    local forward
    if retries ~= stored then
      forward = retries > stored
    else
      local next, was = RANK[status], RANK[cur[1]]
      forward = next > was or (next == was and next < 2)
    end
    if forward then
      applied = true
      if froms[id] == nil then
        froms[id] = cur[1]
        scores[id] = tonumber(cur[3])
        order[#order + 1] = id
      end
    end
  end
  if applied then
    times(sets, f, 5)
    for k = 11, 10 + 2 * extra do sets[#sets + 1] = f[k] end
    if status ~= '' then
      if status ~= cur[1] then
        sets[#sets + 1] = 'status'
        sets[#sets + 1] = status
        tos[id] = status
      end
      if retries ~= tonumber(cur[2]) then
        sets[#sets + 1] = 'retries'
        sets[#sets + 1] = retries
      end
      if listening then notice[#notice + 1] = id .. ' ' .. status end
    end
  end
  if cur[1] or applied then
    local touched = tonumber(cur[4])
    if not touched or now - touched >= ttl / 100 then
      renew = true
      sets[#sets + 1] = 'touched'
      sets[#sets + 1] = now
    end
  end
  if #sets > 0 then redis.call('HSET', key, unpack(sets)) end
  if renew then redis.call('PEXPIRE', key, ttl) end
end

-- Index moves, one call per set (in chunks: Lua's unpack has a stack limit).
local rems = {}
for _, id in ipairs(order) do
  local from, to = froms[id], tos[id]
  if to and from ~= to then
    if from then
      local list = rems[from]
      if not list then
        list = {}
        rems[from] = list
      end
      list[#list + 1] = id
    end
    zadd(P .. 'status:' .. to, scores[id], id)
  end
end
for status, list in pairs(rems) do
  for i = 1, #list, 1000 do
    redis.call('ZREM', P .. 'status:' .. status, unpack(list, i, math.min(i + 999, #list)))
  end
end
for key, list in pairs(adds) do
  for i = 1, #list, 2000 do
    redis.call('ZADD', key, unpack(list, i, math.min(i + 1999, #list)))
  end
end

if #notice > 0 then redis.call('PUBLISH', P .. 'changed', table.concat(notice, '\n')) end
cleanup(100)
return missing
