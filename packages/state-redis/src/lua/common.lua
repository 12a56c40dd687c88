-- Shared by the state scripts (prepended to each): the prefix, the time, index cleanup.
local P = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local STATUSES = { 'pending', 'started', 'success', 'failure', 'skipped', 'canceled' }

-- Drop from the sorted sets the states that expired (at most `limit` of them). The expiry set
-- holds `id \0 actor \0 queue \0 composition` by the expiry the state had when it was made: a
-- state written since is seen alive and put back with its new expiry.
local function cleanup(limit)
  local due = redis.call('ZRANGEBYSCORE', P .. 'expiry', '-inf', now, 'LIMIT', 0, limit)
  for _, member in ipairs(due) do
    local id, actor, queue, composition = string.match(member, '^([^%z]*)%z([^%z]*)%z([^%z]*)%z([^%z]*)$')
    if id then
      local pttl = redis.call('PTTL', P .. 'm:' .. id)
      if pttl > 0 then
        redis.call('ZADD', P .. 'expiry', now + pttl, member)
      else
        redis.call('ZREM', P .. 'all', id)
        for _, s in ipairs(STATUSES) do redis.call('ZREM', P .. 'status:' .. s, id) end
        redis.call('ZREM', P .. 'actor:' .. actor, id)
        redis.call('ZREM', P .. 'queue:' .. queue, id)
        if composition ~= '' then redis.call('ZREM', P .. 'composition:' .. composition, id) end
        redis.call('ZREM', P .. 'expiry', member)
      end
    else
      redis.call('ZREM', P .. 'expiry', member)
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
