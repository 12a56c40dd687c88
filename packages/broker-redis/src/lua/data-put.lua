-- Store data-queue items. Keys and ARGV[1..3]: see lib/data.lua.
-- ARGV[4] delay ms (0: ready now), ARGV[5] "1" when sent again after the reply to a first send
-- was lost (ids already stored are then skipped), then id1, json1, id2, json2, ...
-- Returns how many were stored.
--!include lib/data.lua
local ids = {}
local fields = {}
for i = 6, #ARGV, 2 do
  if ARGV[5] ~= "1" or redis.call("hexists", KEYS[2], ARGV[i]) == 0 then
    ids[#ids + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
end
if #ids == 0 then
  return 0
end
data_each_slice("hset", KEYS[2], fields)
local delay = tonumber(ARGV[4])
if delay > 0 then
  local at = data_now() + delay
  local scored = {}
  for i = 1, #ids do
    scored[#scored + 1] = at
    scored[#scored + 1] = ids[i]
  end
  data_each_slice("zadd", KEYS[4], scored)
else
  data_each_slice("rpush", KEYS[1], ids)
  redis.call("publish", ARGV[3], "1")
end
return #ids
