-- Take up to N ready data-queue items. Keys and ARGV[1..3]: see lib/data.lua.
-- ARGV[4] N, ARGV[5] lease ms (0: remove the items).
-- Returns { wait, id1, json1, ... }: wait is "-1" when items came; otherwise the ms until a
-- delayed item is due or a lease expires ("-1" when neither exists), so that a blocking
-- reader waits no longer than that.
--!include lib/data.lua
local now = data_now()
data_settle(now)
local ids = redis.call("lpop", KEYS[1], tonumber(ARGV[4]))
if not ids then
  local next = -1
  local lease = redis.call("zrange", KEYS[3], 0, 0, "withscores")
  local delayed = redis.call("zrange", KEYS[4], 0, 0, "withscores")
  if #lease > 0 then
    next = tonumber(lease[2])
  end
  if #delayed > 0 and (next < 0 or tonumber(delayed[2]) < next) then
    next = tonumber(delayed[2])
  end
  if next >= 0 then
    next = math.max(1, math.ceil(next - now))
  end
  return { tostring(next) }
end
local pairs_out = data_pairs(ids)
local taken = {}
for i = 1, #pairs_out, 2 do
  taken[#taken + 1] = pairs_out[i]
end
local vis = tonumber(ARGV[5])
if #taken > 0 then
  if vis > 0 then
    local at = now + vis
    local scored = {}
    for i = 1, #taken do
      scored[#scored + 1] = at
      scored[#scored + 1] = taken[i]
      redis.call("hincrby", KEYS[5], taken[i], 1)
    end
    data_each_slice("zadd", KEYS[3], scored)
  else
    data_each_slice("hdel", KEYS[2], taken)
    if redis.call("exists", KEYS[5]) == 1 then
      data_each_slice("hdel", KEYS[5], taken)
    end
  end
end
table.insert(pairs_out, 1, "-1")
return pairs_out
