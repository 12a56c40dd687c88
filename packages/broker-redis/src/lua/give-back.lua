-- Give back what one dead worker held on one queue: every id of its acks set still stored
-- goes to the end of the queue, and the set goes. Run once per (dead worker, queue) by
-- maintenance, so that a script touches only the keys it is given (one queue's: one slot).
-- KEYS[1] the dead worker's acks set, KEYS[2] messages hash, KEYS[3] queue list
-- ARGV[1] wake channel. Returns how many messages were given back.
local ids = redis.call("smembers", KEYS[1])
if #ids == 0 then
  return 0
end
local returned = 0
for _, id in ipairs(ids) do
  if redis.call("hexists", KEYS[2], id) == 1 then
    redis.call("rpush", KEYS[3], id)
    returned = returned + 1
  end
end
redis.call("del", KEYS[1])
redis.call("publish", ARGV[1], "1")
return returned
