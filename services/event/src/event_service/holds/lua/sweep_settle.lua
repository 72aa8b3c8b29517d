-- KEYS[1]: the global sweep index.  ARGV: event id, the placeholder score the sweeper set,
-- the event's next expiry (-1: none). A hold added meanwhile has lowered the score: keep it.
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ARGV[3] == '-1' then
  if cur and tonumber(cur) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
  return 0
end
redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[1])
return 1
