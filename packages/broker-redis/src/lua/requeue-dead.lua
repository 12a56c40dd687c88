-- Put every dead letter of a queue back on the queue (operators' tool).
-- KEYS[1] dead-letter zset, KEYS[2] dead messages hash, KEYS[3] queue list, KEYS[4] messages hash
-- ARGV[1] wake channel. Returns how many were put back.
local ids = redis.call("zrange", KEYS[1], 0, -1)
local moved = 0
for _, id in ipairs(ids) do
  local data = redis.call("hget", KEYS[2], id)
  if data then
    redis.call("hset", KEYS[4], id, data)
    redis.call("rpush", KEYS[3], id)
    moved = moved + 1
  end
  redis.call("zrem", KEYS[1], id)
  redis.call("hdel", KEYS[2], id)
end
if moved > 0 then
  redis.call("publish", ARGV[1], "1")
end
return moved
