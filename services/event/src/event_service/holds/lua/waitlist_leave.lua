-- A buyer leaves a tier's waiting list (an offer already made stays theirs until it lapses).
-- KEYS: 1 the tier's line, 2 the entries, 3 the open offers.  Returns 1 if there was an entry.
local p = cjson.decode(ARGV[1])
redis.call('ZREM', KEYS[1], p.user)
redis.call('SREM', KEYS[3], p.field)
return redis.call('HDEL', KEYS[2], p.field)
