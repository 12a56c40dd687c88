-- Add ARGV[1] to KEYS[1] unless that passes ARGV[2]; refresh the TTL (ARGV[3] ms).
-- A refused increment writes nothing. Returns 1 when incremented.
local next = tonumber(redis.call("get", KEYS[1]) or "0") + tonumber(ARGV[1])
if next > tonumber(ARGV[2]) then
  return 0
end
redis.call("set", KEYS[1], next, "px", ARGV[3])
return 1
