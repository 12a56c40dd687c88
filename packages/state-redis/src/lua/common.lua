-- Shared by the state scripts (prepended to each): the prefix, the time, index cleanup.
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local STATUSES = { 'pending', 'started', 'success', 'failure', 'skipped', 'canceled' }

-- Drop from the sorted sets the states that expired (at most `limit` of them).
local function cleanup(limit)
  local expired = redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    local key = P .. 'm:' .. id
    local pttl = redis.call('PTTL', key)
    if pttl > 0 then
      redis.call('ZADD', P .. 'expiry', now + pttl, id)
    else
      redis.call('ZREM', P .. 'all', id)
      for _, s in ipairs(STATUSES) do redis.call('ZREM', P .. 'status:' .. s, id) end
      local where = redis.call('HGET', P .. 'where', id)
      if where then
        local w = cjson.decode(where)
        redis.call('ZREM', P .. 'actor:' .. w[1], id)
        redis.call('ZREM', P .. 'queue:' .. w[2], id)
        if w[3] ~= '' then redis.call('ZREM', P .. 'composition:' .. w[3], id) end
        redis.call('HDEL', P .. 'where', id)
      end
      redis.call('ZREM', P .. 'expiry', id)
    end
  end
end

-- The sorted set that holds what a filter selects: one index, or their intersection in `tmp`.
local function source(status, actor, queue, composition, tmp)
  local keys = {}
  if status ~= '' then keys[#keys + 1] = P .. 'status:' .. status end
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
