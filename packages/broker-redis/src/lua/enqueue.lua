-- Enqueue messages on one queue, in Dramatiq's layout.
-- KEYS[1] queue list of ids, KEYS[2] hash id -> message
-- ARGV[1] wake channel, ARGV[2] "1" when sent again after the reply to a first send was lost
-- (ids already stored are then skipped: the first send ran), then id1, data1, id2, data2, ...
-- (at most a few thousand: unpack limit).
-- Publishes on the wake channel only when the queue was empty: that is the only time a
-- consumer may be idle waiting for it.
local was_empty = redis.call("llen", KEYS[1]) == 0
local ids = {}
if ARGV[2] == "1" then
  local fields = {}
  for i = 3, #ARGV, 2 do
    if redis.call("hexists", KEYS[2], ARGV[i]) == 0 then
      ids[#ids + 1] = ARGV[i]
      fields[#fields + 1] = ARGV[i]
      fields[#fields + 1] = ARGV[i + 1]
    end
  end
  if #ids == 0 then
    return 0
  end
  redis.call("hset", KEYS[2], unpack(fields))
else
  for i = 3, #ARGV, 2 do
    ids[#ids + 1] = ARGV[i]
  end
  redis.call("hset", KEYS[2], unpack(ARGV, 3))
end
redis.call("rpush", KEYS[1], unpack(ids))
if was_empty then
  redis.call("publish", ARGV[1], "1")
end
return #ids
