-- Enqueue messages on one queue, in Dramatiq's layout.
-- KEYS[1] queue list of ids, KEYS[2] hash id -> message
-- ARGV[1] wake channel, then id1, data1, id2, data2, ...
-- Publishes on the wake channel only when the queue was empty: that is the only time a
-- consumer may be idle waiting for it.
local was_empty = redis.call("llen", KEYS[1]) == 0
for i = 2, #ARGV, 2 do
  redis.call("hset", KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call("rpush", KEYS[1], ARGV[i])
end
if was_empty then
  redis.call("publish", ARGV[1], "1")
end
return (#ARGV - 1) / 2
