-- A booking of the hold is confirmed: its places are sold (mirror) and the hold is done.
-- Idempotent (HSETNX, ZREM), so a redelivered message changes nothing. The places move from
-- the buyer's holds to the buyer's sold count ('b:<user>') in this one step: never counted
-- twice, never missed. Without a (current) mirror only the hold ends: the mirror is rebuilt
-- from PostgreSQL, which has the sale, before any hold script runs again.
-- KEYS: 1 sold mirror, 2 record, 3 buyer's holds, 4 GA held, 5 GA expiry, 6 the address's
-- holds, then tier zsets, then seat keys, then the waiting-list entries and open offers (a hold
-- offered to the waiting list: its entry is 'fulfilled').
local p = cjson.decode(ARGV[1])
local loaded = mirror_loaded(KEYS[1])
local sbase = 6 + p.ntiers
local counted = 0
for i, seat in ipairs(p.seats) do
  -- sold now: whoever still holds it (only a lapsed-and-retaken hold could) loses it
  redis.call('DEL', KEYS[sbase + i])
  redis.call('ZREM', KEYS[6 + seat[2]], seat[1])
  if loaded and redis.call('HSETNX', KEYS[1], 's:' .. seat[1], seat[3]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'n:' .. seat[3], 1)
    counted = counted + 1
  end
end
if p.ga_qty > 0 then
  local field = 'g:' .. p.booking .. ':' .. p.ga_tier
  if loaded and redis.call('HSETNX', KEYS[1], field, p.ga_qty) == 1 then
    redis.call('HINCRBY', KEYS[1], 'n:' .. p.ga_tier, p.ga_qty)
    counted = counted + p.ga_qty
  end
  if redis.call('ZREM', KEYS[5], p.member) == 1 then give_back(KEYS[4], p.ga_tier, p.ga_qty) end
end
if counted > 0 then redis.call('HINCRBY', KEYS[1], 'b:' .. p.user, counted) end
local offer = redis.call('HGET', KEYS[2], 'offer')
if offer then
  local e = sbase + #p.seats + 1
  local raw = redis.call('HGET', KEYS[e], offer)
  local entry = raw and cjson.decode(raw)
  if entry and entry.status == 'offered' and entry.hold_id == p.hold then
    entry.status = 'fulfilled'
    redis.call('HSET', KEYS[e], offer, cjson.encode(entry))
    redis.call('SREM', KEYS[e + 1], offer)
  end
end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], p.buyer_member, p.buyer_member .. '|b')
redis.call('ZREM', KEYS[6], p.hold)
return 1
