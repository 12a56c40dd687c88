-- Add ARGV[1] to KEYS[1] unless the sum of KEYS[2..] (after the increment) passes ARGV[2];
-- refresh KEYS[1]'s TTL (ARGV[3] ms). Returns 1 when incremented.
local sum = tonumber(ARGV[1])
for i = 2, #KEYS do
  sum = sum + tonumber(redis.call("get", KEYS[i]) or "0")
end
if sum > tonumber(ARGV[2]) then
  return 0
end
redis.call("incrby", KEYS[1], ARGV[1])
redis.call("pexpire", KEYS[1], ARGV[3])
return 1
