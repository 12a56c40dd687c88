-- Mark ids canceled: KEYS[1] the marks (a sorted set, id by time), ARGV[1] the notice channel,
-- ARGV[2] the TTL ms, ARGV[3] a JSON array of ids. Old marks are dropped; the ids are
-- published to the channel as the same JSON array.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = cjson.decode(ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], now, id) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[2])))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
if #ids > 0 then redis.call('PUBLISH', ARGV[1], ARGV[3]) end
return #ids
