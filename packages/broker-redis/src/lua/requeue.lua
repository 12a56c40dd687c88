-- Give fetched messages back to the front of their queue, in their order.
-- KEYS[1] acks set, KEYS[2] messages hash, KEYS[3] queue list; ARGV[1] wake channel, ARGV[2..] ids
local back = 0
for i = #ARGV, 2, -1 do
  local id = ARGV[i]
  if redis.call("srem", KEYS[1], id) > 0 and redis.call("hexists", KEYS[2], id) == 1 then
    redis.call("lpush", KEYS[3], id)
    back = back + 1
  end
end
if back > 0 then
  redis.call("publish", ARGV[1], "1")
end
return back
