-- Up to N dead items, oldest first, left in place. Keys and ARGV[1..3]: see lib/data.lua.
-- ARGV[4] N. Returns id1, json1, ...
--!include lib/data.lua
data_settle(data_now())
return data_pairs(redis.call("zrange", KEYS[6], 0, tonumber(ARGV[4]) - 1))
