-- Included by the data-queue scripts. Every one of them takes the same keys and first args:
-- KEYS[1] ready list of ids, KEYS[2] hash id -> item (JSON), KEYS[3] leases zset (deadline ms),
-- KEYS[4] delayed zset (due ms), KEYS[5] hash id -> leases given, KEYS[6] dead zset (time ms)
-- ARGV[1] attempts, ARGV[2] "1" to keep dead items, ARGV[3] wake channel.
-- Times are the server's (TIME), so clients with skewed clocks agree on deadlines.

local function data_now()
  local t = redis.call("time")
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- One command over many arguments, in slices that stay under Lua's unpack limit.
local function data_each_slice(cmd, key, args)
  for i = 1, #args, 1000 do
    redis.call(cmd, key, unpack(args, i, math.min(i + 999, #args)))
  end
end

-- What the clock has made of the queue, applied before any read: due delayed items join the
-- end of the ready list; an expired lease puts its item back at the front (earliest deadline
-- first) or, after `attempts` leases, makes it dead (kept when use_dead, dropped otherwise).
-- Waiting readers are woken when anything became ready.
local function data_settle(now)
  local attempts = tonumber(ARGV[1])
  local moved = 0
  local due = redis.call("zrangebyscore", KEYS[4], "-inf", now)
  if #due > 0 then
    data_each_slice("zrem", KEYS[4], due)
    data_each_slice("rpush", KEYS[1], due)
    moved = #due
  end
  local expired = redis.call("zrangebyscore", KEYS[3], "-inf", now)
  if #expired > 0 then
    data_each_slice("zrem", KEYS[3], expired)
    local back = {}
    -- Backwards, so that LPUSH leaves the earliest deadline at the front.
    for i = #expired, 1, -1 do
      local id = expired[i]
      if tonumber(redis.call("hget", KEYS[5], id) or "0") < attempts then
        back[#back + 1] = id
      else
        redis.call("hdel", KEYS[5], id)
        if ARGV[2] == "1" then
          redis.call("zadd", KEYS[6], now, id)
        else
          redis.call("hdel", KEYS[2], id)
        end
      end
    end
    if #back > 0 then
      data_each_slice("lpush", KEYS[1], back)
      moved = moved + #back
    end
  end
  if moved > 0 then
    redis.call("publish", ARGV[3], "1")
  end
end

-- id1, json1, id2, json2, ... for the ids whose item is still stored.
local function data_pairs(ids)
  local out = {}
  for i = 1, #ids, 1000 do
    local last = math.min(i + 999, #ids)
    local values = redis.call("hmget", KEYS[2], unpack(ids, i, last))
    for j = 1, #values do
      if values[j] then
        out[#out + 1] = ids[i + j - 1]
        out[#out + 1] = values[j]
      end
    end
  end
  return out
end
