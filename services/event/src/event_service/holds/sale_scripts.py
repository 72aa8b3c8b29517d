"""The Lua scripts behind sales, availability and the sweeper (the rules of ``scripts.py``)."""

from __future__ import annotations

from event_service.holds.scripts import PRELUDE

CONSUME = (
    PRELUDE
    + """
-- A booking of the hold is confirmed: its places are sold (mirror) and the hold is done.
-- Idempotent (HSETNX, ZREM), so a redelivered message changes nothing. The places move from
-- the buyer's holds to the buyer's sold count ('b:<user>') in this one step: never counted
-- twice, never missed. Without a (current) mirror only the hold ends: the mirror is rebuilt
-- from PostgreSQL, which has the sale, before any hold script runs again.
-- KEYS: 1 sold mirror, 2 record, 3 buyer's holds, 4 GA held, 5 GA expiry, 6 the address's
-- holds, then tier zsets, then seat keys.
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
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], p.buyer_member, p.buyer_member .. '|b')
redis.call('ZREM', KEYS[6], p.hold)
return 1
"""
)

UNDO = (
    PRELUDE
    + """
-- A booking ended (cancelled / expired), after PostgreSQL committed it: what it bought leaves
-- the mirror, what it held is freed. Idempotent.
-- KEYS: 1 sold mirror, 2 record, 3 buyer's holds, 4 GA held, 5 GA expiry, 6 the address's
-- holds, then tier zsets, then seat keys.
-- sold_seats: [seat, tier, counted]; ga_sold: [tier, counted] ('counted': PostgreSQL has the
-- buyer of the sale, so the mirror counts it in 'b:<user>').
local p = cjson.decode(ARGV[1])
local uncounted = 0
for _, s in ipairs(p.sold_seats) do
  if redis.call('HDEL', KEYS[1], 's:' .. s[1]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'n:' .. s[2], -1)
    if s[3] then uncounted = uncounted + 1 end
  end
end
for _, g in ipairs(p.ga_sold) do
  local field = 'g:' .. p.booking .. ':' .. g[1]
  local n = redis.call('HGET', KEYS[1], field)
  if n then
    redis.call('HDEL', KEYS[1], field)
    redis.call('HINCRBY', KEYS[1], 'n:' .. g[1], -tonumber(n))
    if g[2] then uncounted = uncounted + tonumber(n) end
  end
end
if uncounted > 0 and redis.call('HINCRBY', KEYS[1], 'b:' .. p.user, -uncounted) <= 0 then
  redis.call('HDEL', KEYS[1], 'b:' .. p.user)
end
release(p, 2, 3, 4, 5, 6, 6, 6 + p.ntiers)
return 1
"""
)

SNAPSHOT = (
    PRELUDE
    + """
-- One consistent reading of an event's availability: per tier, sold and held.
-- KEYS: 1 sold mirror, 2 GA held, 3 GA expiry, then one zset per reserved tier.
local p = cjson.decode(ARGV[1])
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local out = {1}
for i, tier in ipairs(p.reserved) do
  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], 'n:' .. tier) or '0')
  out[#out + 1] = redis.call('ZCOUNT', KEYS[3 + i], '(' .. ms(now), '+inf')
end
if #p.general > 0 then ensure_ga_held(KEYS[2], KEYS[3]) end
for _, tier in ipairs(p.general) do
  out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], 'n:' .. tier) or '0')
  out[#out + 1] = tonumber(redis.call('HGET', KEYS[2], tier) or '0')
end
return out
"""
)

SEAT_STATES = (
    PRELUDE
    + """
-- The seat map's live part in one reading: sold seats (mirror) and held seats (live members of
-- the tier zsets). KEYS: 1 facts, 2 sold mirror, then one zset per reserved tier.
-- ARGV: the facts token the caller's layout belongs to.  Returns {1, #sold, sold..., held...}.
if not facts_current(KEYS[1], ARGV[1]) then return {-5} end
if not mirror_loaded(KEYS[2]) then return {-1} end
local now = '(' .. ms(now_ms())
local sold = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(f, 1, 2) == 's:' then sold[#sold + 1] = string.sub(f, 3) end
end
local out = {1, #sold}
for _, s in ipairs(sold) do out[#out + 1] = s end
for i = 3, #KEYS do
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i], now, '+inf')) do out[#out + 1] = s end
end
return out
"""
)

SWEEP_EVENT = (
    PRELUDE
    + """
-- Lapsed general-admission holds give their places back.
-- KEYS: 1 GA expiry, 2 GA held.  Returns {returned holds, next expiry or -1}.
local now = now_ms()
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
for _, m in ipairs(lapsed) do
  redis.call('ZREM', KEYS[1], m)
  local counts = string.sub(m, string.find(m, '|', 1, true) + 1)
  for tier, n in string.gmatch(counts, '([^,:]+):(%d+)') do
    give_back(KEYS[2], tier, tonumber(n))
  end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #nxt == 0 then return {#lapsed, -1} end
return {#lapsed, tonumber(nxt[2])}
"""
)

SWEEP_SETTLE = """
-- KEYS[1]: the global sweep index.  ARGV: event id, the placeholder score the sweeper set,
-- the event's next expiry (-1: none). A hold added meanwhile has lowered the score: keep it.
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if ARGV[3] == '-1' then
  if cur and tonumber(cur) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
  return 0
end
redis.call('ZADD', KEYS[1], 'LT', ARGV[3], ARGV[1])
return 1
"""
