-- Functions every script starts with (the loader puts this file before each script).
--
-- Rules every script follows:
-- * it touches only keys passed in KEYS (all of one event, same hash tag): Redis Cluster-safe;
-- * it checks everything before its first write, so a refused request changes nothing (beyond
--   pruning entries that had lapsed anyway);
-- * time is Redis's own clock (TIME), so every replica of the service agrees on what is live;
-- * parameters come as one JSON document in ARGV[1] (cjson), readable and order-proof.

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
-- Live holds are read without their scores and parsed with plain finds, lapsed ones only when
-- there is a cool-down (else the pruning above left none): a buyer with hundreds of live holds
-- (a benchmark's few buyers) costs a fraction of what matching every member did.
local function buyer_state(key, mirror, p, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms(now - p.cooldown))
  local n = tonumber(redis.call('HGET', mirror, 'b:' .. p.user) or '0')
  local find, sub = string.find, string.sub
  for _, m in ipairs(redis.call('ZRANGE', key, '(' .. ms(now), '+inf', 'BYSCORE')) do
    local bar = find(m, '|', 1, true)
    if p.exclude == '' or sub(m, 1, bar - 1) ~= p.exclude then
      local stop = find(m, '|', bar + 1, true)
      n = n + tonumber(sub(m, bar + 1, stop and stop - 1 or -1))
    end
  end
  local cool = 0
  if p.cooldown > 0 then
    local lapsed = redis.call('ZRANGE', key, '-inf', ms(now), 'BYSCORE', 'WITHSCORES')
    for i = 1, #lapsed, 2 do
      if sub(lapsed[i], -2) ~= '|b' then
        cool = math.max(cool, tonumber(lapsed[i + 1]) + p.cooldown)
      end
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
  if live then return {-7, live, p.max_addr} end
  return nil
end

-- Count the new hold for its buyer and its client address. A hold the buyer did not pick
-- themselves (a booking's, or a waiting list's offer) is marked '|b': its lapse starts no
-- cool-down.
local function count_hold(b, a, p, want, expires)
  local member = p.hold .. '|' .. want
  if p.claimed or (p.offer or '') ~= '' then member = member .. '|b' end
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

-- The waiting list of a tier (its line KEYS[w]: users by join order) goes first: a buyer's hold
-- ('p.gate') is refused while anyone waits; an offer to the entry 'p.offer' ('<tier>|<user>')
-- passes only while that user still waits. True when the hold may go ahead.
local function list_allows(p, w)
  if p.offer ~= '' then return redis.call('ZSCORE', KEYS[w], p.user) ~= false end
  return not p.gate or redis.call('ZCARD', KEYS[w]) == 0
end

-- The offer's hold is made: the entry leaves the line, is 'offered' with its hold and deadline,
-- and is among the event's open offers (KEYS[o]) until it is sold or lapses.
local function offer_made(p, w, e, o, expires)
  redis.call('ZREM', KEYS[w], p.user)
  local entry = cjson.decode(redis.call('HGET', KEYS[e], p.offer))
  entry.status, entry.hold_id, entry.expires_at = 'offered', p.hold, expires
  redis.call('HSET', KEYS[e], p.offer, cjson.encode(entry))
  redis.call('SADD', KEYS[o], p.offer)
end
