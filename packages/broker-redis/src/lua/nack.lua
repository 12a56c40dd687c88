-- Messages failed for good: move them to the dead-letter queue, if this worker holds them.
-- KEYS[1] acks set, KEYS[2] messages hash, KEYS[3] dead-letter zset, KEYS[4] dead messages hash
-- ARGV[1] timestamp (ms), then pairs: ARGV[2i] id, ARGV[2i+1] the message as it is now (with
-- why it failed in its options), or "" to keep the bytes stored when it was fetched.
local moved = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  if redis.call("srem", KEYS[1], id) > 0 then
    local data = ARGV[i + 1]
    if data == "" then
      data = redis.call("hget", KEYS[2], id)
    end
    if data then
      redis.call("zadd", KEYS[3], ARGV[1], id)
      redis.call("hset", KEYS[4], id, data)
      redis.call("hdel", KEYS[2], id)
      moved = moved + 1
    end
  end
end
return moved
