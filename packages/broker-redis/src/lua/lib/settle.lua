-- Included (see scripts.ts) by the scripts that settle acks: forget the acked ids this worker
-- still holds (an id given back meanwhile is left alone). `ids` holds a few thousand at most
-- (unpack limit). Returns how many were settled.
local function settle(acks, messages, ids)
  local held = redis.call("smismember", acks, unpack(ids))
  local mine = {}
  for i = 1, #held do
    if held[i] == 1 then
      mine[#mine + 1] = ids[i]
    end
  end
  if #mine > 0 then
    redis.call("srem", acks, unpack(mine))
    redis.call("hdel", messages, unpack(mine))
  end
  return #mine
end
