-- Drop up to N dead letters older than a cutoff: one bounded batch, called until it
-- returns fewer than N.
-- KEYS[1] dead-letter zset, KEYS[2] dead messages hash; ARGV[1] cutoff (ms), ARGV[2] N
-- (at most a few thousand: unpack limit). Returns how many were dropped.
local old = redis.call("zrangebyscore", KEYS[1], "-inf", ARGV[1], "limit", 0, tonumber(ARGV[2]))
if #old > 0 then
  redis.call("zrem", KEYS[1], unpack(old))
  redis.call("hdel", KEYS[2], unpack(old))
end
return #old
