-- One schedule's compare-and-set: every change to a schedule's state goes through it, so
-- N schedulers claiming the same tick (comparing the stored next tick and advancing it)
-- see exactly one of them win.
-- KEYS[1] the schedule's hash
-- ARGV[1] JSON object: field -> expected value, null for "absent"
-- ARGV[2] JSON object: field -> new value, null to delete the field
-- Returns {1 or 0, the hash's fields and values after}.
local key = KEYS[1]
local expect = cjson.decode(ARGV[1])
for field, want in pairs(expect) do
  local have = redis.call("hget", key, field)
  if want == cjson.null then
    if have then
      return {0, redis.call("hgetall", key)}
    end
  elseif have ~= want then
    return {0, redis.call("hgetall", key)}
  end
end
local set = cjson.decode(ARGV[2])
local pairs_to_set = {}
local fields_to_delete = {}
for field, value in pairs(set) do
  if value == cjson.null then
    fields_to_delete[#fields_to_delete + 1] = field
  else
    pairs_to_set[#pairs_to_set + 1] = field
    pairs_to_set[#pairs_to_set + 1] = value
  end
end
if #fields_to_delete > 0 then
  redis.call("hdel", key, unpack(fields_to_delete))
end
if #pairs_to_set > 0 then
  redis.call("hset", key, unpack(pairs_to_set))
end
return {1, redis.call("hgetall", key)}
