-- How many data-queue items are ready (after settling the clock). Keys and ARGV: see lib/data.lua.
--!include lib/data.lua
data_settle(data_now())
return redis.call("llen", KEYS[1])
