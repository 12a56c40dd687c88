-- How many states a filter selects: ARGV = prefix, status, actor, queue, composition,
-- before ('' for none), tmp.
cleanup(1000)
local src, temporary = source(ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[7])
local max = '+inf'
if ARGV[6] ~= '' then max = '(' .. ARGV[6] end
local n = redis.call('ZCOUNT', src, '-inf', max)
if temporary then redis.call('DEL', src) end
return n
