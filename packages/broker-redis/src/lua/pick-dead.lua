-- Requeue or delete chosen dead letters of a queue (the dashboard's "requeue/purge these").
-- KEYS[1] dead-letter zset, KEYS[2] dead messages hash, KEYS[3] queue list, KEYS[4] messages hash
-- ARGV[1] "requeue" or "purge", ARGV[2] wake channel, ARGV[3..] broker ids of the dead letters.
-- An id no longer in the zset (requeued, purged or expired meanwhile) is passed over.
-- Returns how many were requeued or deleted.
local requeue = ARGV[1] == "requeue"
local done = 0
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call("zrem", KEYS[1], id) > 0 then
    local data = redis.call("hget", KEYS[2], id)
    redis.call("hdel", KEYS[2], id)
    if requeue then
      if data then
        redis.call("hset", KEYS[4], id, data)
        redis.call("rpush", KEYS[3], id)
        done = done + 1
      end
    else
      done = done + 1
    end
  end
end
if requeue and done > 0 then
  redis.call("publish", ARGV[2], "1")
end
return done
