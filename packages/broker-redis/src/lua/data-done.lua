-- Finish leased items (lease not expired) or delete dead ones. Keys and ARGV[1..3]: see
-- lib/data.lua. ARGV[4..] ids. Returns how many were removed.
--!include lib/data.lua
data_settle(data_now())
local removed = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  if redis.call("zrem", KEYS[3], id) == 1 or redis.call("zrem", KEYS[6], id) == 1 then
    redis.call("hdel", KEYS[2], id)
    redis.call("hdel", KEYS[5], id)
    removed = removed + 1
  end
end
return removed
