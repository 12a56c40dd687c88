-- Messages are done: forget those this worker still holds.
-- KEYS[1] this worker's acks set, KEYS[2] messages hash; ARGV ids (a few thousand at most)
local held = redis.call("smismember", KEYS[1], unpack(ARGV))
local mine = {}
for i = 1, #held do
  if held[i] == 1 then
    mine[#mine + 1] = ARGV[i]
  end
end
if #mine > 0 then
  redis.call("srem", KEYS[1], unpack(mine))
  redis.call("hdel", KEYS[2], unpack(mine))
end
return #mine
