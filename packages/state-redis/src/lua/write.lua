-- Apply a batch of state transitions, all with the TTL ARGV[3] (ms): ARGV[2] holds them
-- separated by \1 (no message twice in a batch), each made of parts separated by NUL (JSON
-- text never holds either raw):
--   id, status ('' for a progress report), retries, mask,
--   then, for each bit of mask 1..16 (startedAt, endedAt, eta, error, progress), its value
--   ('' removes the field); with bit 32, the whole state follows: actorName, queueName,
--   priority, compositionId, args, kwargs, options, enqueuedAt, a mask and values as above.
-- A transition applies when it moves the state forward (a later attempt, or a later stage of
-- the same one; the same stage again unless it is an end); a progress report applies to a
-- state that has not ended. The expiry is renewed to ttl from now when that moves it by at
-- least a hundredth of the TTL (a start and an end close together renew it once). Writes are
-- gathered and made once per column and set. The new statuses go out in one notice (`id
-- status` lines) when someone listens. Returns the positions of transitions that found no
-- state and carried none, so the writer sends them again with it.
local RANK = { pending = 0, started = 1, success = 2, failure = 2, skipped = 2, canceled = 2 }
-- Where each transition starts (after its id) and ends, and its id; parts are read off the
-- text as they are needed, plain finds only (a pattern search costs far more).
local text = ARGV[2]
local starts, stops, ids = {}, {}, {}
do
  local at, size = 1, #text
  while at <= size do
    local stop = string.find(text, '\1', at, true) or (size + 1)
    local z = string.find(text, '\0', at, true)
    if not z or z > stop then z = stop end
    ids[#ids + 1] = string.sub(text, at, z - 1)
    starts[#starts + 1] = z + 1
    stops[#stops + 1] = stop
    at = stop + 1
  end
end
local n = #ids
if n == 0 then return {} end

-- The part at `at` (up to `stop`), and where the next one starts.
local function part(at, stop)
  local z = string.find(text, '\0', at, true)
  if not z or z > stop then z = stop end
  return string.sub(text, at, z - 1), z + 1
end

-- Where the parts after the fields `mask` names start.
local function skip(mask, at, stop)
  local bit = 1
  for _ = 1, 5 do
    if mask % (bit * 2) >= bit then
      local z = string.find(text, '\0', at, true)
      if not z or z > stop then z = stop end
      at = z + 1
    end
    bit = bit * 2
  end
  return at
end

local sts = hmget(P .. 'st', ids)
local sets = { {}, {}, {} }  -- per column (eta, error, progress): id, value, ...
local dels = { {}, {}, {} }  -- per column: ids
local stPairs, expiryPairs, rems, adds = {}, {}, {}, {}
local bodies, wheres = {}, {}
local missing, notice = {}, {}
-- PUBSUB NUMSUB counts this node's subscribers only: on a Redis Cluster (ARGV[4] "1") a
-- watcher may be on another node, so the notice always goes out.
local listening = ARGV[4] == '1' or redis.call('PUBSUB', 'NUMSUB', P .. 'changed')[2] > 0

-- Read the fields `mask` names from `at`: startedAt and endedAt are returned (they live in
-- st; nil when not given), the others go to their columns.
local function apply(id, mask, at, stop)
  local sa, ea
  local bit = 1
  for k = 1, 5 do
    if mask % (bit * 2) >= bit then
      local v
      v, at = part(at, stop)
      if k == 1 then
        sa = v
      elseif k == 2 then
        ea = v
      elseif v == '' then
        local list = dels[k - 2]
        list[#list + 1] = id
      else
        local list = sets[k - 2]
        list[#list + 1] = id
        list[#list + 1] = v
      end
    end
    bit = bit * 2
  end
  return sa, ea
end

local statusKeys = {}
for status in pairs(RANK) do statusKeys[status] = P .. 'status:' .. status end

local function zadd(key, score, id)
  local list = adds[key]
  if not list then
    list = {}
    adds[key] = list
  end
  list[#list + 1] = score
  list[#list + 1] = id
end

local ttl = tonumber(ARGV[3])
for i = 1, n do
  local id, stop = ids[i], stops[i]
  local status, retries, maskText, at
  status, at = part(starts[i], stop)
  retries, at = part(at, stop)
  maskText, at = part(at, stop)
  local mask = tonumber(maskText)
  local cur, was, enq, expiresAt, sa, ea
  local st = sts[i]
  if st then
    local s, rt, e, exp, a, b = parse_st(st)
    was, enq = s, e
    -- An expired state not cleaned up yet counts as none.
    if tonumber(exp) > now then cur, expiresAt, sa, ea = rt, exp, a, b end
  end
  local applied, next = false, was
  if cur == nil then
    if status ~= '' then
      if mask >= 32 then
        local after = skip(mask % 32, at, stop)
        local actor, queue, priority, composition, args, kwargs, options, whole
        actor, after = part(after, stop)
        queue, after = part(after, stop)
        priority, after = part(after, stop)
        composition, after = part(after, stop)
        args, after = part(after, stop)
        kwargs, after = part(after, stop)
        options, after = part(after, stop)
        enq, after = part(after, stop)
        whole, after = part(after, stop)
        local score = tonumber(enq)
        bodies[#bodies + 1] = id
        bodies[#bodies + 1] = table.concat({ actor, queue, priority, composition, args, kwargs, options }, '\0')
        wheres[#wheres + 1] = id
        wheres[#wheres + 1] = actor .. '\0' .. queue .. '\0' .. composition
        zadd(P .. 'all', score, id)
        zadd(P .. 'actor:' .. actor, score, id)
        zadd(P .. 'queue:' .. queue, score, id)
        if composition ~= '' then zadd(P .. 'composition:' .. composition, score, id) end
        if was then
          -- Nothing of the expired state before it remains.
          for k = 1, 3 do
            local list = dels[k]
            list[#list + 1] = id
          end
        end
        -- The whole state first, the transition's changes over it (the last write wins).
        local wsa, wea = apply(id, tonumber(whole), after, stop)
        local csa, cea = apply(id, mask % 32, at, stop)
        sa, ea = csa or wsa or '', cea or wea or ''
        cur, expiresAt, next, applied = retries, '0', status, true
      else
        missing[#missing + 1] = i
      end
    end
  elseif status == '' then
    applied = RANK[was] < 2
    if applied then apply(id, mask, at, stop) end
  else
    local forward
    if retries ~= cur then
      forward = tonumber(retries) > tonumber(cur)
    else
      local a, b = RANK[status], RANK[was]
      forward = a > b or (a == b and a < 2)
    end
    if forward then
      local csa, cea = apply(id, mask, at, stop)
      if csa ~= nil then sa = csa end
      if cea ~= nil then ea = cea end
      cur, next, applied = retries, status, true
    end
  end
  if cur ~= nil then
    local renew = now + ttl - tonumber(expiresAt) >= ttl / 100
    if renew then
      expiresAt = now + ttl
      expiryPairs[#expiryPairs + 1] = expiresAt
      expiryPairs[#expiryPairs + 1] = id
      expiresAt = tostring(expiresAt)
    end
    if renew or applied then
      stPairs[#stPairs + 1] = id
      stPairs[#stPairs + 1] = next .. ':' .. cur .. ':' .. enq .. ':' .. expiresAt .. ':' .. sa .. ':' .. ea
    end
    if next ~= was then
      if was and was ~= 'pending' then gather(rems, statusKeys[was], id) end
      if next ~= 'pending' then zadd(statusKeys[next], tonumber(enq), id) end
    end
    if applied and status ~= '' and listening then notice[#notice + 1] = id .. ' ' .. status end
  end
end

if #stPairs > 0 then each('HSET', P .. 'st', stPairs) end
if #bodies > 0 then
  each('HSET', P .. 'body', bodies)
  each('HSET', P .. 'where', wheres)
end
for k = 1, 3 do
  if #sets[k] > 0 then each('HSET', P .. COLUMNS[k], sets[k]) end
  if #dels[k] > 0 then each('HDEL', P .. COLUMNS[k], dels[k]) end
end
for key, list in pairs(rems) do each('ZREM', key, list) end
for key, list in pairs(adds) do each('ZADD', key, list) end
if #expiryPairs > 0 then each('ZADD', P .. 'expiry', expiryPairs) end

if #notice > 0 then redis.call('PUBLISH', P .. 'changed', table.concat(notice, '\n')) end
cleanup(math.max(100, n))
return missing
