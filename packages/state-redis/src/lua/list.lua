-- States newest first: ARGV = prefix, status, actor, queue, composition, before ('' for
-- none), offset, limit, tmp (a unique suffix for an intersection). Returns, per state, its id
-- then its five read columns (see read()). Pending states (in no status set) are found by
-- walking the selection newest first: they are the newest, so the walk is short.
cleanup(1000)
local status, offset, limit = ARGV[2], tonumber(ARGV[7]), tonumber(ARGV[8])
local src, temporary = selection(ARGV[3], ARGV[4], ARGV[5], ARGV[9])
local max = '+inf'
if ARGV[6] ~= '' then max = '(' .. ARGV[6] end
local ids = {}
if status == 'pending' then
  local skipped, at, step = 0, 0, 200
  while #ids < limit do
    local chunk = redis.call('ZREVRANGEBYSCORE', src, max, '-inf', 'LIMIT', at, step)
    if #chunk == 0 then break end
    local sts = hmget(P .. 'st', chunk)
    for i, id in ipairs(chunk) do
      if sts[i] and status_of(sts[i]) == 'pending' then
        if skipped < offset then skipped = skipped + 1
        elseif #ids < limit then ids[#ids + 1] = id end
      end
    end
    at = at + step
  end
else
  local from = src
  if status ~= '' then
    if src == P .. 'all' then from = P .. 'status:' .. status
    else from = narrowed(src, status, P .. 'tmp:' .. ARGV[9] .. ':s') end
  end
  ids = redis.call('ZREVRANGEBYSCORE', from, max, '-inf', 'LIMIT', offset, limit)
  if from ~= src and from ~= P .. 'status:' .. status then redis.call('DEL', from) end
end
if temporary then redis.call('DEL', src) end
if #ids == 0 then return {} end
local cols = read(ids)
local out = {}
for i, id in ipairs(ids) do
  local base = (i - 1) * #READ
  if cols[base + 1] ~= '' then
    out[#out + 1] = id
    for k = 1, #READ do out[#out + 1] = cols[base + k] end
  end
end
return out
