-- A buyer joins a tier's waiting list: only while the tier has no place for everyone (none left,
-- or its list already waits, so that places that come back are offered to it), one entry per
-- buyer and tier (an 'expired' or 'fulfilled' one is replaced by the new one).
-- KEYS: 1 the tier's line (zset: user by join number), 2 the event's entries (hash:
-- '<tier>|<user>' -> JSON, and '#seq' the last join number), 3 sold mirror, 4 the tier's held
-- places (reserved: the tier's zset of held seats; general admission: the GA held hash),
-- 5 GA expiry index.
-- Returns {1, entry, position} (joined), {2, entry, position or -1} (already in the list),
-- {-1} (no sold mirror: rebuild it) or {-9, places free}.
local p = cjson.decode(ARGV[1])
local function position()
  local rank = redis.call('ZRANK', KEYS[1], p.user)
  if rank then return rank + 1 end
  return -1
end
local known = redis.call('HGET', KEYS[2], p.field)
if known then
  local status = cjson.decode(known).status
  if status == 'waiting' or status == 'offered' then return {2, known, position()} end
end
if not mirror_loaded(KEYS[3]) then return {-1} end
local now = now_ms()
if redis.call('ZCARD', KEYS[1]) == 0 then
  local sold = tonumber(redis.call('HGET', KEYS[3], 'n:' .. p.tier) or '0')
  local held
  if p.general then
    ensure_ga_held(KEYS[4], KEYS[5])
    held = tonumber(redis.call('HGET', KEYS[4], p.tier) or '0')
  else
    held = redis.call('ZCOUNT', KEYS[4], '(' .. ms(now), '+inf')
  end
  local free = p.capacity - sold - held
  if free > 0 then return {-9, free} end
end
local entry = cjson.encode({id = p.id, tier = p.tier, quantity = p.quantity, status = 'waiting',
  joined_at = now, email = p.email})
redis.call('ZADD', KEYS[1], redis.call('HINCRBY', KEYS[2], '#seq', 1), p.user)
redis.call('HSET', KEYS[2], p.field, entry)
redis.call('PEXPIREAT', KEYS[1], ms(p.keep_until))
redis.call('PEXPIREAT', KEYS[2], ms(p.keep_until))
return {1, entry, position()}
