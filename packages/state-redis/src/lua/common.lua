-- Shared by the state scripts (prepended to each). States are kept by column, one hash per
-- field, so that a batch of transitions costs a few variadic calls, not a few per message:
--   st         id -> "status:retries:enqueuedAt:expiresAt:startedAt:endedAt"
--   eta, error, progress   id -> value
--   body       id -> actorName \0 queueName \0 priority \0 compositionId \0 args \0 kwargs \0 options
--   where      id -> actorName \0 queueName \0 compositionId   (the sorted sets it is in)
-- and sorted sets by enqueue time: all, actor:<a>, queue:<q>, composition:<c>, and
-- status:<s> for every status but pending (a state in none of them is pending: a message's
-- start then costs no move out of a pending set); expiry (id by expiry time). A state past
-- its expiry reads as absent; the scripts remove expired ones as they go.
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local INDEXED = { 'started', 'success', 'failure', 'skipped', 'canceled' }
local COLUMNS = { 'eta', 'error', 'progress' }
local READ = { 'st', 'eta', 'error', 'progress', 'body' }
local ALL_COLUMNS = { 'st', 'eta', 'error', 'progress', 'body', 'where' }
local CHUNK = 1000

-- status, retries, enqueuedAt, expiresAt, startedAt, endedAt, all as text ('' if absent):
-- numbers are compared as needed and written back as they came, never reformatted.
local function parse_st(v)
  return string.match(v, '^([^:]*):([^:]*):([^:]*):([^:]*):([^:]*):(.*)$')
end

local function status_of(v)
  return string.sub(v, 1, string.find(v, ':', 1, true) - 1)
end

-- `cmd key members...`, in chunks (Lua's unpack has a stack limit).
local function each(cmd, key, list)
  for i = 1, #list, CHUNK do
    redis.call(cmd, key, unpack(list, i, math.min(i + CHUNK - 1, #list)))
  end
end

local function hmget(key, ids)
  local out = {}
  for i = 1, #ids, CHUNK do
    local got = redis.call('HMGET', key, unpack(ids, i, math.min(i + CHUNK - 1, #ids)))
    -- A missing field comes back as false, so the reply has no holes.
    for _, v in ipairs(got) do out[#out + 1] = v end
  end
  return out
end

local function gather(map, key, member)
  local list = map[key]
  if not list then
    list = {}
    map[key] = list
  end
  list[#list + 1] = member
end

local function split3(v)
  local a = string.find(v, '\0', 1, true)
  local b = string.find(v, '\0', a + 1, true)
  return string.sub(v, 1, a - 1), string.sub(v, a + 1, b - 1), string.sub(v, b + 1)
end

-- Remove the states that expired (at most `limit` of them) from every column and set.
local function cleanup(limit)
  local due = redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return end
  local sts = hmget(P .. 'st', due)
  local wheres = hmget(P .. 'where', due)
  local rems, gone, again = {}, {}, {}
  for i, id in ipairs(due) do
    local st = sts[i]
    local status, expiresAt
    if st then
      local s, _r, _e, exp = parse_st(st)
      status, expiresAt = s, tonumber(exp)
    end
    if expiresAt and expiresAt > now then
      again[#again + 1] = expiresAt
      again[#again + 1] = id
    else
      gone[#gone + 1] = id
      gather(rems, P .. 'all', id)
      if status and status ~= 'pending' then gather(rems, P .. 'status:' .. status, id) end
      if wheres[i] then
        local actor, queue, composition = split3(wheres[i])
        gather(rems, P .. 'actor:' .. actor, id)
        gather(rems, P .. 'queue:' .. queue, id)
        if composition ~= '' then gather(rems, P .. 'composition:' .. composition, id) end
      end
    end
  end
  for key, list in pairs(rems) do each('ZREM', key, list) end
  if #gone > 0 then
    for _, c in ipairs(ALL_COLUMNS) do each('HDEL', P .. c, gone) end
    each('ZREM', P .. 'expiry', gone)
  end
  if #again > 0 then each('ZADD', P .. 'expiry', again) end
end

-- Per id, the five read columns ('' for absent); an expired or unknown state's are all ''.
local function read(ids)
  local cols = {}
  for k, c in ipairs(READ) do cols[k] = hmget(P .. c, ids) end
  local out = {}
  for i = 1, #ids do
    local st = cols[1][i]
    if st then
      local _s, _r, _e, expiresAt = parse_st(st)
      if tonumber(expiresAt) <= now then st = false end
    end
    for k = 1, #READ do
      local v = cols[k][i]
      if st and v then out[#out + 1] = v else out[#out + 1] = '' end
    end
  end
  return out
end

-- The sorted set of what the filters other than status select: one index, or their
-- intersection in `tmp` (then true).
local function selection(actor, queue, composition, tmp)
  local keys = {}
  if actor ~= '' then keys[#keys + 1] = P .. 'actor:' .. actor end
  if queue ~= '' then keys[#keys + 1] = P .. 'queue:' .. queue end
  if composition ~= '' then keys[#keys + 1] = P .. 'composition:' .. composition end
  if #keys == 0 then return P .. 'all', false end
  if #keys == 1 then return keys[1], false end
  local dest = P .. 'tmp:' .. tmp
  redis.call('ZINTERSTORE', dest, #keys, unpack(keys))
  redis.call('PEXPIRE', dest, 60000)
  return dest, true
end

-- `src` narrowed to an indexed status, into `dest` (a temporary key).
local function narrowed(src, status, dest)
  redis.call('ZINTERSTORE', dest, 2, src, P .. 'status:' .. status)
  redis.call('PEXPIRE', dest, 60000)
  return dest
end

-- How many members of `src` are enqueued before `max` ('+inf' or '(<ms>').
local function scored(src, max)
  if max == '+inf' then return redis.call('ZCARD', src) end
  return redis.call('ZCOUNT', src, '-inf', max)
end
