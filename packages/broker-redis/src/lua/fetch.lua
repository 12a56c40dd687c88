-- Settle acked messages, then take up to N messages for this worker.
-- KEYS[1] queue list, KEYS[2] messages hash, KEYS[3] this worker's acks set for the queue,
-- KEYS[4] this worker's registry of queues it holds acks on
-- ARGV[1] queue name, ARGV[2] how many to take, ARGV[3..] ids to ack first
-- Returns id1, data1, id2, data2, ... An id whose data is gone (flushed) is dropped.
for i = 3, #ARGV do
  if redis.call("srem", KEYS[3], ARGV[i]) > 0 then
    redis.call("hdel", KEYS[2], ARGV[i])
  end
end
local out = {}
local want = tonumber(ARGV[2])
local taken = 0
while taken < want do
  local id = redis.call("lpop", KEYS[1])
  if not id then
    break
  end
  local data = redis.call("hget", KEYS[2], id)
  if data then
    redis.call("sadd", KEYS[3], id)
    out[#out + 1] = id
    out[#out + 1] = data
    taken = taken + 1
  end
end
if taken > 0 then
  redis.call("sadd", KEYS[4], ARGV[1])
end
return out
