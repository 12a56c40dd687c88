-- States newest first: ARGV = prefix, status, actor, queue, composition, before ('' for
-- none), offset, limit, tmp (a unique suffix for an intersection). Returns, per state, its id
-- then its hash's fields and values.
cleanup(1000)
local src, temporary = source(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[9])
local max = '+inf'
if ARGV[6] ~= '' then max = '(' .. ARGV[6] end
local ids = redis.call('ZREVRANGEBYSCORE', src, max, '-inf', 'LIMIT', tonumber(ARGV[7]), tonumber(ARGV[8]))
if temporary then redis.call('DEL', src) end
local out = {}
for _, id in ipairs(ids) do
  local fields = redis.call('HGETALL', P .. 'm:' .. id)
  if #fields > 0 then
    out[#out + 1] = id
    out[#out + 1] = fields
  end
end
return out
