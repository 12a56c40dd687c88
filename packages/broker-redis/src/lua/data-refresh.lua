-- Extend leases. Keys and ARGV[1..3]: see lib/data.lua. ARGV[4] lease ms, ARGV[5..] ids.
-- Returns the ids whose lease had not expired, now extended.
--!include lib/data.lua
local now = data_now()
data_settle(now)
local at = now + tonumber(ARGV[4])
local held = {}
for i = 5, #ARGV do
  if redis.call("zscore", KEYS[3], ARGV[i]) then
    redis.call("zadd", KEYS[3], at, ARGV[i])
    held[#held + 1] = ARGV[i]
  end
end
return held
