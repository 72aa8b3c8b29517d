-- Booking takes the hold over: extended once, never past its hard cap; owner checked first.
-- From now on the hold is the booking's: its buyer entry is marked ('|b') so that its lapse
-- starts no cool-down.
-- The caller decided on the event's facts under p.token (published, the cool-down): refused
-- (STALE) unless they are still current, so no PostgreSQL is read for a claim.
-- KEYS: 1 record, 2 buyer's holds, 3 GA expiry, 4 the address's holds, 5 facts, then tier
-- zsets, then seat keys.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[5], p.token) then return {-5} end
local owner = redis.call('HGET', KEYS[1], 'user_id')
if not owner then return {0} end
if owner ~= p.user then return {-1} end
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires_at'))
if redis.call('HGET', KEYS[1], 'claimed') == '1' then return {2, expires} end
local now = now_ms()
local created = tonumber(redis.call('HGET', KEYS[1], 'created_at'))
local target = math.min(now + p.extend, created + p.max_life)
if target > expires then
  redis.call('PEXPIREAT', KEYS[1], ms(target))
  local sbase = 5 + p.ntiers
  for i, seat in ipairs(p.seats) do
    if redis.call('GET', KEYS[sbase + i]) == p.hold then
      redis.call('PEXPIREAT', KEYS[sbase + i], ms(target))
      redis.call('ZADD', KEYS[5 + seat[2]], 'XX', target, seat[1])
    end
  end
  if p.member ~= '' then redis.call('ZADD', KEYS[3], 'XX', target, p.member) end
  if redis.call('ZADD', KEYS[4], 'XX', 'CH', target, p.hold) == 1 then keep_alive(KEYS[4], 0) end
  expires = target
end
if redis.call('ZREM', KEYS[2], p.buyer_member) == 1 then
  redis.call('ZADD', KEYS[2], expires, p.buyer_member .. '|b')
  keep_alive(KEYS[2], p.cooldown)
end
redis.call('HSET', KEYS[1], 'claimed', '1', 'expires_at', ms(expires))
return {1, expires}
