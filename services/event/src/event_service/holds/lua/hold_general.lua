-- General admission by quantity: places left = capacity - sold - held, never below zero.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, 5 the address's holds,
-- 6 GA held, 7 GA expiry index, 8 the tier's waiting line, 9 waiting-list entries, 10 open offers
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = p.quantity
if not list_allows(p, 8) then
  if p.offer ~= '' then return {-8} end
  return {-4, 0}  -- for everyone else the tier is sold out while its waiting list waits
end
-- sold out first (a few reads), then the limits and hold rules, as for reserved seats
ensure_ga_held(KEYS[6], KEYS[7])
local sold = tonumber(redis.call('HGET', KEYS[1], 'n:' .. p.tier) or '0')
local held = tonumber(redis.call('HGET', KEYS[6], p.tier) or '0')
local left = p.capacity - sold - held
if left < want then
  if left < 0 then left = 0 end
  return {-4, left}
end
local refused = refusal(p, want, 1, 3, 5, now)
if refused then return refused end
local expires = now + p.ttl
redis.call('HINCRBY', KEYS[6], p.tier, want)
redis.call('ZADD', KEYS[7], expires, p.member)
write_record(KEYS[2], p, 1, now, expires)
count_hold(3, 5, p, want, expires)
if p.offer ~= '' then offer_made(p, 8, 9, 10, expires) end
return {1, 1, now, expires}
