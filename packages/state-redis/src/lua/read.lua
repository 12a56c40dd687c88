-- The states of ARGV[2..]: per id, its st, startedAt, endedAt, eta, error, progress and body
-- ('' for absent; all '' for an unknown or expired state).
local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
if #ids == 0 then return {} end
return read(ids)
