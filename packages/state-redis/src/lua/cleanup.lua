-- Remove expired states (at most ARGV[2] of them): what a backend runs on its own from time
-- to time, so an idle store gives its memory back too.
cleanup(tonumber(ARGV[2]))
return 0
