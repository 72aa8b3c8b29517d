"""The Lua scripts behind holds, sales and availability (see ``keys.py`` for the keys).

Rules every script follows:

- it touches only keys passed in ``KEYS`` (all of one event, same hash tag) — Redis Cluster-safe;
- it checks everything before its first write, so a refused request changes nothing;
- time is Redis's own clock (``TIME``), so every replica of the service agrees on what is live;
- parameters come as one JSON document in ``ARGV[1]`` (``cjson``), readable and order-proof.

Scripts are registered once per process (``Redis.register_script``): redis-py sends ``EVALSHA``
and, on ``NOSCRIPT`` (Redis restarted or ``SCRIPT FLUSH``), loads the script again and retries.
"""

from __future__ import annotations

# Result codes shared with store.py.
OK = 1
SEATS_TAKEN = 0
MIRROR_MISSING = -1
BUYER_LIMIT = -2
ORDER_LIMIT = -3
SOLD_OUT = -4
STALE = -5  # the event's facts changed (or were fenced) since the caller read them

_PRELUDE = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function ms(n) return string.format('%.0f', n) end

-- The sold mirror is there, and in the format that counts each buyer's places ('b:<user>').
local function mirror_loaded(key)
  return redis.call('HEXISTS', key, 'v2') == 1
end

-- The caller read the event's facts (status, window, limits, tiers) under this token and they
-- are still the current ones; '' = the caller holds the shared inventory lock instead.
local function facts_current(key, token)
  return token == '' or redis.call('HGET', key, 'token') == token
end

-- Places of the buyer: live holds (members '<hold>|<n>', live = score > now) plus places sold
-- (the mirror's 'b:<user>'; a sale leaves the buyer's holds in the same script that counts it).
local function buyer_places(key, mirror, user, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local n = tonumber(redis.call('HGET', mirror, 'b:' .. user) or '0')
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    n = n + tonumber(string.sub(m, string.find(m, '|', 1, true) + 1))
  end
  return n
end

-- Count a hold for its buyer until 'score'; the key lives as long as its latest member.
local function keep_buyer(key, score, member)
  redis.call('ZADD', key, score, member)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', key, ms(tonumber(last[2])))
end

-- Places held per general-admission tier; rebuilt from the expiry index when lost.
local function ensure_ga_held(held, expiry)
  if redis.call('HEXISTS', held, '__init__') == 1 then return end
  redis.call('DEL', held)
  for _, m in ipairs(redis.call('ZRANGE', expiry, 0, -1)) do
    local counts = string.sub(m, string.find(m, '|', 1, true) + 1)
    for tier, n in string.gmatch(counts, '([^,:]+):(%d+)') do
      redis.call('HINCRBY', held, tier, tonumber(n))
    end
  end
  redis.call('HSET', held, '__init__', '1')
end

local function give_back(held, tier, n)
  if redis.call('HEXISTS', held, '__init__') == 0 then return end
  if redis.call('HINCRBY', held, tier, -n) < 0 then redis.call('HSET', held, tier, 0) end
end

local function write_record(key, p, g, now, expires)
  redis.call('HSET', key, 'created_at', ms(now), 'expires_at', ms(expires),
    'claimed', p.claimed and '1' or '0', 'places', p.places[g], 'amount', p.amounts[g],
    unpack(p.record))
  redis.call('PEXPIREAT', key, ms(expires))
end

-- Free the places of one hold (compare-and-delete: only keys still carrying this hold).
-- Keys: record, buyer, GA held, GA expiry at r, b, gh, ge; tier zsets from zbase + 1; seat keys
-- from sbase + 1.
local function release(p, r, b, gh, ge, zbase, sbase)
  for i, seat in ipairs(p.seats) do
    if redis.call('GET', KEYS[sbase + i]) == p.hold then
      redis.call('DEL', KEYS[sbase + i])
      redis.call('ZREM', KEYS[zbase + seat[2]], seat[1])
    end
  end
  if p.member ~= '' and redis.call('ZREM', KEYS[ge], p.member) == 1 then
    give_back(KEYS[gh], p.ga_tier, p.ga_qty)
  end
  redis.call('ZREM', KEYS[b], p.buyer_member)
  redis.call('DEL', KEYS[r])
end
"""

HOLD_SEATS = (
    _PRELUDE
    + """
-- Reserved seats, all or nothing: the first of the candidate groups whose seats are all free.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, then one zset per tier in
-- p.tiers, then the seat keys of every group, group after group.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = #p.groups[1]
if want > p.max_order then return {-3, p.max_order} end
local current = buyer_places(KEYS[3], KEYS[1], p.user, now)
if current + want > p.max_buyer then return {-2, current} end
local zbase = 4
local k = zbase + #p.tiers
local chosen, first, unavailable = nil, nil, nil
for g, group in ipairs(p.groups) do
  local bad = {}
  for _, seat in ipairs(group) do
    k = k + 1
    if redis.call('EXISTS', KEYS[k]) == 1
        or redis.call('HEXISTS', KEYS[1], 's:' .. seat[1]) == 1 then
      bad[#bad + 1] = seat[1]
    end
  end
  if #bad == 0 then
    chosen = g
    first = k - #group
    break
  end
  if g == 1 then unavailable = bad end
end
if not chosen then
  table.insert(unavailable, 1, 0)
  return unavailable
end
local expires = now + p.ttl
for t = 1, #p.tiers do redis.call('ZREMRANGEBYSCORE', KEYS[zbase + t], '-inf', now) end
for i, seat in ipairs(p.groups[chosen]) do
  redis.call('SET', KEYS[first + i], p.hold, 'PXAT', ms(expires))
  redis.call('ZADD', KEYS[zbase + seat[2]], expires, seat[1])
end
write_record(KEYS[2], p, chosen, now, expires)
keep_buyer(KEYS[3], expires, p.hold .. '|' .. want)
return {1, chosen, now, expires}
"""
)

HOLD_GENERAL = (
    _PRELUDE
    + """
-- General admission by quantity: places left = capacity - sold - held, never below zero.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, 5 GA held, 6 GA expiry index
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = p.quantity
if want > p.max_order then return {-3, p.max_order} end
local current = buyer_places(KEYS[3], KEYS[1], p.user, now)
if current + want > p.max_buyer then return {-2, current} end
ensure_ga_held(KEYS[5], KEYS[6])
local sold = tonumber(redis.call('HGET', KEYS[1], 'n:' .. p.tier) or '0')
local held = tonumber(redis.call('HGET', KEYS[5], p.tier) or '0')
local left = p.capacity - sold - held
if left < want then
  if left < 0 then left = 0 end
  return {-4, left}
end
local expires = now + p.ttl
redis.call('HINCRBY', KEYS[5], p.tier, want)
redis.call('ZADD', KEYS[6], expires, p.member)
write_record(KEYS[2], p, 1, now, expires)
keep_buyer(KEYS[3], expires, p.hold .. '|' .. want)
return {1, 1, now, expires}
"""
)

RELEASE = (
    _PRELUDE
    + """
-- The owner (or, with owner '', the system) ends a hold: its places are free at once.
-- KEYS: 1 record, 2 buyer's holds, 3 GA held, 4 GA expiry, then tier zsets, then seat keys.
local p = cjson.decode(ARGV[1])
if p.owner ~= '' then
  local owner = redis.call('HGET', KEYS[1], 'user_id')
  if not owner then return 0 end
  if owner ~= p.owner then return -1 end
end
release(p, 1, 2, 3, 4, 4, 4 + p.ntiers)
return 1
"""
)

CLAIM = (
    _PRELUDE
    + """
-- Booking takes the hold over: extended once, never past its hard cap; owner checked first.
-- KEYS: 1 record, 2 buyer's holds, 3 GA expiry, then tier zsets, then seat keys.
local p = cjson.decode(ARGV[1])
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
  local sbase = 3 + p.ntiers
  for i, seat in ipairs(p.seats) do
    if redis.call('GET', KEYS[sbase + i]) == p.hold then
      redis.call('PEXPIREAT', KEYS[sbase + i], ms(target))
      redis.call('ZADD', KEYS[3 + seat[2]], 'XX', target, seat[1])
    end
  end
  if p.member ~= '' then redis.call('ZADD', KEYS[3], 'XX', target, p.member) end
  if redis.call('ZSCORE', KEYS[2], p.buyer_member) then
    keep_buyer(KEYS[2], target, p.buyer_member)
  end
  expires = target
end
redis.call('HSET', KEYS[1], 'claimed', '1', 'expires_at', ms(expires))
return {1, expires}
"""
)

CONSUME = (
    _PRELUDE
    + """
-- A booking of the hold is confirmed: its places are sold (mirror) and the hold is done.
-- Idempotent (HSETNX, ZREM), so a redelivered message changes nothing. The places move from
-- the buyer's holds to the buyer's sold count ('b:<user>') in this one step: never counted
-- twice, never missed. Without a (current) mirror only the hold ends: the mirror is rebuilt
-- from PostgreSQL, which has the sale, before any hold script runs again.
-- KEYS: 1 sold mirror, 2 record, 3 buyer's holds, 4 GA held, 5 GA expiry, then tier zsets,
-- then seat keys.
local p = cjson.decode(ARGV[1])
local loaded = mirror_loaded(KEYS[1])
local sbase = 5 + p.ntiers
local counted = 0
for i, seat in ipairs(p.seats) do
  -- sold now: whoever still holds it (only a lapsed-and-retaken hold could) loses it
  redis.call('DEL', KEYS[sbase + i])
  redis.call('ZREM', KEYS[5 + seat[2]], seat[1])
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
redis.call('ZREM', KEYS[3], p.buyer_member)
return 1
"""
)

UNDO = (
    _PRELUDE
    + """
-- A booking ended (cancelled / expired), after PostgreSQL committed it: what it bought leaves
-- the mirror, what it held is freed. Idempotent.
-- KEYS: 1 sold mirror, 2 record, 3 buyer's holds, 4 GA held, 5 GA expiry, then tier zsets,
-- then seat keys.
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
release(p, 2, 3, 4, 5, 5, 5 + p.ntiers)
return 1
"""
)

SNAPSHOT = (
    _PRELUDE
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
    _PRELUDE
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
    _PRELUDE
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
