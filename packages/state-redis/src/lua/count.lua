-- How many states a filter selects: ARGV = prefix, status, actor, queue, composition,
-- before ('' for none), tmp. Pending states are the selected ones in no status set.
cleanup(1000)
local status = ARGV[2]
local src, temporary = selection(ARGV[3], ARGV[4], ARGV[5], ARGV[7])
local max = '+inf'
if ARGV[6] ~= '' then max = '(' .. ARGV[6] end
local plain = not temporary and src == P .. 'all'
local n
local function indexed(s)
  if plain then return scored(P .. 'status:' .. s, max) end
  local dest = narrowed(src, s, P .. 'tmp:' .. ARGV[7] .. ':' .. s)
  local c = scored(dest, max)
  redis.call('DEL', dest)
  return c
end
if status == '' then
  n = scored(src, max)
elseif status == 'pending' then
  n = scored(src, max)
  for _, s in ipairs(INDEXED) do n = n - indexed(s) end
else
  n = indexed(status)
end
if temporary then redis.call('DEL', src) end
return n
