-- Messages are done: forget those this worker still holds.
-- KEYS[1] this worker's acks set, KEYS[2] messages hash; ARGV ids (a few thousand at most)
--!include lib/settle.lua
return settle(KEYS[1], KEYS[2], ARGV)
