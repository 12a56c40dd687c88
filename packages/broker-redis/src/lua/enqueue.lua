-- Enqueue messages on one queue, in Dramatiq's layout.
-- KEYS[1] queue list of ids, KEYS[2] hash id -> message
-- ARGV[1] wake channel, then id1, data1, id2, data2, ... (at most a few thousand: unpack limit)
-- Publishes on the wake channel only when the queue was empty: that is the only time a
-- consumer may be idle waiting for it.
local was_empty = redis.call("llen", KEYS[1]) == 0
local ids = {}
for i = 2, #ARGV, 2 do
  ids[#ids + 1] = ARGV[i]
end
redis.call("hset", KEYS[2], unpack(ARGV, 2))
redis.call("rpush", KEYS[1], unpack(ids))
if was_empty then
  redis.call("publish", ARGV[1], "1")
end
return #ids
