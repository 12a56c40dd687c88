-- Give back what dead workers held (expire-dead.lua drops old dead letters). No KEYS command:
-- a taskq worker records the queues it holds acks on (its registry); for a worker without
-- one (a Dramatiq process), the queues this broker knows are searched.
-- KEYS[1] heartbeats zset
-- ARGV[1] namespace, ARGV[2] now (ms), ARGV[3] heartbeat timeout, ARGV[4] dead message ttl
-- (a worker without a registry is struck off that long after its last heartbeat),
-- ARGV[5] this worker's id, ARGV[6..] queue names this broker knows (delay queues included)
-- Returns how many messages were given back.
local ns = ARGV[1]
local now = tonumber(ARGV[2])
local heartbeat_timeout = tonumber(ARGV[3])
local dead_message_ttl = tonumber(ARGV[4])
local me = ARGV[5]
local returned = 0

local dead = redis.call("zrangebyscore", KEYS[1], 0, now - heartbeat_timeout, "withscores")
for i = 1, #dead, 2 do
  local worker = dead[i]
  local last_seen = tonumber(dead[i + 1])
  if worker ~= me then
    local registry = ns .. ":__ackqueues__." .. worker
    local queues = redis.call("smembers", registry)
    local registered = #queues > 0
    for q = 6, #ARGV do
      queues[#queues + 1] = ARGV[q]
    end
    for _, queue in ipairs(queues) do
      local acks = ns .. ":__acks__." .. worker .. "." .. queue
      local ids = redis.call("smembers", acks)
      if #ids > 0 then
        local list = ns .. ":" .. queue
        local messages = list .. ".msgs"
        for _, id in ipairs(ids) do
          if redis.call("hexists", messages, id) == 1 then
            redis.call("rpush", list, id)
            returned = returned + 1
          end
        end
        redis.call("del", acks)
        redis.call("publish", ns .. ":__wake__." .. queue, "1")
      end
    end
    if registered then
      redis.call("del", registry)
      redis.call("zrem", KEYS[1], worker)
    elseif last_seen < now - dead_message_ttl then
      redis.call("zrem", KEYS[1], worker)
    end
  end
end
return returned
