-- Move a due delayed message to its queue in one step: no duplicate, no loss, whatever dies when.
-- KEYS[1] delay queue acks set, KEYS[2] delay queue messages hash,
-- KEYS[3] queue list, KEYS[4] queue messages hash
-- ARGV[1] delayed id, ARGV[2] new id, ARGV[3] new data, ARGV[4] wake channel
-- Returns 0 when this worker no longer holds the delayed message (given back meanwhile).
if redis.call("srem", KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call("hdel", KEYS[2], ARGV[1])
local was_empty = redis.call("llen", KEYS[3]) == 0
redis.call("hset", KEYS[4], ARGV[2], ARGV[3])
redis.call("rpush", KEYS[3], ARGV[2])
if was_empty then
  redis.call("publish", ARGV[4], "1")
end
return 1
