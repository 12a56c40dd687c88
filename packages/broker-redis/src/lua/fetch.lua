-- Settle acked messages, then take up to N messages for this worker. Needs Redis 6.2+
-- (LPOP with a count, SMISMEMBER): a handful of calls per batch, not per message.
-- KEYS[1] queue list, KEYS[2] messages hash, KEYS[3] this worker's acks set for the queue,
-- KEYS[4] this worker's registry of queues it holds acks on (left out in cluster mode, where it
-- lives in another slot: the broker records its queues there before fetching)
-- ARGV[1] queue name, ARGV[2] how many to take, ARGV[3..] ids to ack first
-- Returns id1, data1, id2, data2, ... An id whose data is gone (flushed) is dropped.
--!include lib/settle.lua
if #ARGV > 2 then
  local acked = {}
  for i = 3, #ARGV do
    acked[#acked + 1] = ARGV[i]
  end
  settle(KEYS[3], KEYS[2], acked)
end

local out = {}
local want = tonumber(ARGV[2])
if want > 0 then
  local ids = redis.call("lpop", KEYS[1], want)
  if ids then
    local data = redis.call("hmget", KEYS[2], unpack(ids))
    local taken = {}
    for i = 1, #ids do
      if data[i] then
        out[#out + 1] = ids[i]
        out[#out + 1] = data[i]
        taken[#taken + 1] = ids[i]
      end
    end
    if #taken > 0 then
      redis.call("sadd", KEYS[3], unpack(taken))
      if #KEYS > 3 then
        redis.call("sadd", KEYS[4], ARGV[1])
      end
    end
  end
end
return out
