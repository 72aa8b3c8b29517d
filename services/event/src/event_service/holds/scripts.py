"""The Lua scripts behind holds (see ``keys.py`` for the keys; sales and availability in
``sale_scripts.py``).

Rules every script follows:

- it touches only keys passed in ``KEYS`` (all of one event, same hash tag) — Redis Cluster-safe;
- it checks everything before its first write, so a refused request changes nothing (beyond
  pruning entries that had lapsed anyway);
- time is Redis's own clock (``TIME``), so every replica of the service agrees on what is live;
- parameters come as one JSON document in ``ARGV[1]`` (``cjson``), readable and order-proof.

Scripts are registered once per process (``Redis.register_script``): redis-py sends ``EVALSHA``
and, on ``NOSCRIPT`` (Redis restarted or ``SCRIPT FLUSH``), loads the script again and retries.
"""

from __future__ import annotations

# Result codes shared with holding.py.
OK = 1
SEATS_TAKEN = 0
MIRROR_MISSING = -1
BUYER_LIMIT = -2
ORDER_LIMIT = -3
SOLD_OUT = -4
STALE = -5  # the event's facts changed (or were fenced) since the caller read them
COOLDOWN = -6  # the buyer let a hold lapse a moment ago (second value: ms left)
ADDRESS_LIMIT = -7  # the client address has as many live holds as the event allows

PRELUDE = """
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

-- A key of entries scored by expiry lives as long as its latest entry (plus 'extra' ms).
local function keep_alive(key, extra)
  local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #last > 0 then redis.call('PEXPIREAT', key, ms(tonumber(last[2]) + extra)) end
end

-- The buyer's holds are members '<hold>|<n>' ('<hold>|<n>|b' once a booking claimed the hold)
-- scored by expiry. Release, sale and the end of a booking remove theirs, so a member still
-- there past its expiry is a hold the buyer let lapse — unless a booking had claimed it (then
-- the booking lapsed, which booking deals with). Lapsed members stay for the cool-down.
-- Returns the buyer's places (live holds but 'p.exclude', plus places sold: the mirror's
-- 'b:<user>') and when the cool-down after the latest lapse ends (0: none).
local function buyer_state(key, mirror, p, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms(now - p.cooldown))
  local n = tonumber(redis.call('HGET', mirror, 'b:' .. p.user) or '0')
  local cool = 0
  local all = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  for i = 1, #all, 2 do
    local hold, count, booked = string.match(all[i], '^(.-)|(%d+)(.*)$')
    local score = tonumber(all[i + 1])
    if score > now then
      if hold ~= p.exclude then n = n + tonumber(count) end
    elseif booked == '' then
      cool = math.max(cool, score + p.cooldown)
    end
  end
  return n, cool
end

-- Live holds taken from the client address (hold ids by expiry): the count if the event's cap
-- is reached (max_addr -1: no cap; addr '': not a buyer's request), else nil.
local function address_full(key, p, now)
  if p.addr == '' or p.max_addr < 0 then return nil end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms(now))
  local live = redis.call('ZCARD', key)
  if live >= p.max_addr then return live end
  return nil
end

-- Everything a new hold of 'want' places must pass besides free places; KEYS indexes: m sold
-- mirror, b buyer's holds, a the address's holds. A refusal as the script returns it, or nil.
local function refusal(p, want, m, b, a, now)
  if want > p.max_order then return {-3, p.max_order} end
  local current, cool = buyer_state(KEYS[b], KEYS[m], p, now)
  if p.check_cooldown and cool > now then return {-6, cool - now} end
  if current + want > p.max_buyer then return {-2, current} end
  local live = address_full(KEYS[a], p, now)
  if live then return {-7, live} end
  return nil
end

-- Count the new hold for its buyer and its client address.
local function count_hold(b, a, p, want, expires)
  local member = p.hold .. '|' .. want
  if p.claimed then member = member .. '|b' end
  redis.call('ZADD', KEYS[b], expires, member)
  keep_alive(KEYS[b], p.cooldown)
  if p.addr ~= '' then
    redis.call('ZADD', KEYS[a], expires, p.hold)
    keep_alive(KEYS[a], 0)
  end
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
-- Keys: record, buyer, GA held, GA expiry, address at r, b, gh, ge, a; tier zsets from
-- zbase + 1; seat keys from sbase + 1.
local function release(p, r, b, gh, ge, a, zbase, sbase)
  for i, seat in ipairs(p.seats) do
    if redis.call('GET', KEYS[sbase + i]) == p.hold then
      redis.call('DEL', KEYS[sbase + i])
      redis.call('ZREM', KEYS[zbase + seat[2]], seat[1])
    end
  end
  if p.member ~= '' and redis.call('ZREM', KEYS[ge], p.member) == 1 then
    give_back(KEYS[gh], p.ga_tier, p.ga_qty)
  end
  redis.call('ZREM', KEYS[b], p.buyer_member, p.buyer_member .. '|b')
  redis.call('ZREM', KEYS[a], p.hold)
  redis.call('DEL', KEYS[r])
end
"""

HOLD_SEATS = (
    PRELUDE
    + """
-- Reserved seats, all or nothing: the first of the candidate groups whose seats are all free.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, 5 the address's holds, then one
-- zset per tier in p.tiers, then the seat keys of every group, group after group.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = #p.groups[1]
local refused = refusal(p, want, 1, 3, 5, now)
if refused then return refused end
local zbase = 5
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
count_hold(3, 5, p, want, expires)
return {1, chosen, now, expires}
"""
)

HOLD_GENERAL = (
    PRELUDE
    + """
-- General admission by quantity: places left = capacity - sold - held, never below zero.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, 5 the address's holds,
-- 6 GA held, 7 GA expiry index
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = p.quantity
local refused = refusal(p, want, 1, 3, 5, now)
if refused then return refused end
ensure_ga_held(KEYS[6], KEYS[7])
local sold = tonumber(redis.call('HGET', KEYS[1], 'n:' .. p.tier) or '0')
local held = tonumber(redis.call('HGET', KEYS[6], p.tier) or '0')
local left = p.capacity - sold - held
if left < want then
  if left < 0 then left = 0 end
  return {-4, left}
end
local expires = now + p.ttl
redis.call('HINCRBY', KEYS[6], p.tier, want)
redis.call('ZADD', KEYS[7], expires, p.member)
write_record(KEYS[2], p, 1, now, expires)
count_hold(3, 5, p, want, expires)
return {1, 1, now, expires}
"""
)

ADMIT = (
    PRELUDE
    + """
-- Would a hold of p.want places pass the rules? Asked before a best-available search, so a
-- refused request costs one cheap reading; the hold script checks all of it again.
-- KEYS: 1 sold mirror, 2 buyer's holds, 3 facts, 4 the address's holds.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[3], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local refused = refusal(p, p.want, 1, 2, 4, now_ms())
if refused then return refused end
return {1}
"""
)

RELEASE = (
    PRELUDE
    + """
-- The owner (or, with owner '', the system) ends a hold: its places are free at once.
-- KEYS: 1 record, 2 buyer's holds, 3 GA held, 4 GA expiry, 5 the address's holds, then tier
-- zsets, then seat keys.
local p = cjson.decode(ARGV[1])
if p.owner ~= '' then
  local owner = redis.call('HGET', KEYS[1], 'user_id')
  if not owner then return 0 end
  if owner ~= p.owner then return -1 end
end
release(p, 1, 2, 3, 4, 5, 5, 5 + p.ntiers)
return 1
"""
)

CLAIM = (
    PRELUDE
    + """
-- Booking takes the hold over: extended once, never past its hard cap; owner checked first.
-- From now on the hold is the booking's: its buyer entry is marked ('|b') so that its lapse
-- starts no cool-down.
-- KEYS: 1 record, 2 buyer's holds, 3 GA expiry, 4 the address's holds, then tier zsets, then
-- seat keys.
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
  local sbase = 4 + p.ntiers
  for i, seat in ipairs(p.seats) do
    if redis.call('GET', KEYS[sbase + i]) == p.hold then
      redis.call('PEXPIREAT', KEYS[sbase + i], ms(target))
      redis.call('ZADD', KEYS[4 + seat[2]], 'XX', target, seat[1])
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
"""
)
