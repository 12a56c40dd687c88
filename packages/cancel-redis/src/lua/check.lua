-- For each id (ARGV[2..]), 1 if it has a mark younger than the TTL (ARGV[1] ms), else 0.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local oldest = now - tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local at = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if at and tonumber(at) >= oldest then out[#out + 1] = 1 else out[#out + 1] = 0 end
end
return out
