-- Messages are done: forget them, if this worker still holds them.
-- KEYS[1] this worker's acks set, KEYS[2] messages hash; ARGV ids
local done = 0
for i = 1, #ARGV do
  if redis.call("srem", KEYS[1], ARGV[i]) > 0 then
    redis.call("hdel", KEYS[2], ARGV[i])
    done = done + 1
  end
end
return done
