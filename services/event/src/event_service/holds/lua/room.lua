-- The waiting room of one event: join, read, leave, or count (p.op), one round trip each.
--
-- KEYS: line (zset user -> fixed place), pre (hash user -> joined ms, before the draw),
--       meta (hash: seq = last place given, drawn, pointer = last place admitted,
--       clock = ms up to which admissions were handed out), joined (hash user -> joined ms),
--       admitted (hash user -> admission expiry ms), active (zset user -> admission expiry ms).
-- ARGV[1]: {op, user, now, start, rate, max_active, token_ms, seed, expire_at}.
--
-- Unlike the hold scripts, time is the caller's (p.now): admissions follow the sales start and
-- the admission rate, both in the service's terms (replicas' clocks agree to NTP's precision).
-- Admission is lazy: every call first hands out the admissions due since the last one — one
-- every 60000 / rate ms, in place order — so no process has to tick for the line to move, and
-- a credit is never banked while nobody waits or the room is full (no burst afterwards).

local line, pre, meta, joined, admitted, active = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local p = cjson.decode(ARGV[1])
local now = tonumber(p.now)
local start = tonumber(p.start)

-- Who joined before the sales start gets a place by a random draw (a Lehmer generator seeded
-- by the caller, over the users in a fixed order), ahead of everyone who comes later.
local function draw()
  local users = redis.call('HKEYS', pre)
  table.sort(users)
  local x = tonumber(p.seed) % 2147483647
  if x == 0 then x = 1 end
  for i = #users, 2, -1 do
    x = (x * 48271) % 2147483647
    local j = (x % i) + 1
    users[i], users[j] = users[j], users[i]
  end
  local seq = tonumber(redis.call('HGET', meta, 'seq') or '0')
  for _, u in ipairs(users) do
    seq = seq + 1
    redis.call('ZADD', line, seq, u)
  end
  redis.call('DEL', pre)
  redis.call('HSET', meta, 'seq', seq, 'drawn', '1', 'clock', ms(start))
end

local function advance()
  if now < start then return end
  if redis.call('HGET', meta, 'drawn') ~= '1' then draw() end
  local clock = tonumber(redis.call('HGET', meta, 'clock') or ms(start))
  local every = 60000 / tonumber(p.rate)
  local due = math.floor((now - clock) / every)
  if due <= 0 then return end
  redis.call('ZREMRANGEBYSCORE', active, '-inf', ms(now))
  local room = due
  if p.max_active ~= cjson.null and p.max_active ~= nil then
    room = math.min(room, tonumber(p.max_active) - redis.call('ZCARD', active))
  end
  local taken = 0
  if room > 0 then
    local pointer = redis.call('HGET', meta, 'pointer') or '0'
    local next = redis.call('ZRANGEBYSCORE', line, '(' .. pointer, '+inf', 'WITHSCORES', 'LIMIT', 0, room)
    local expires = ms(now + tonumber(p.token_ms))
    for i = 1, #next, 2 do
      redis.call('ZADD', active, expires, next[i])
      redis.call('HSET', admitted, next[i], expires)
      pointer = next[i + 1]
      taken = taken + 1
    end
    if taken > 0 then redis.call('HSET', meta, 'pointer', pointer) end
  end
  if taken < due then clock = now else clock = clock + taken * every end
  redis.call('HSET', meta, 'clock', string.format('%.3f', clock))
end

-- {state, place (-1: none yet), ahead (-1: unknown yet), joined ms, admission expiry ms}
local function entry(u)
  local place = redis.call('ZSCORE', line, u)
  local since = redis.call('HGET', joined, u) or '0'
  if place then
    local pointer = redis.call('HGET', meta, 'pointer') or '0'
    if tonumber(place) <= tonumber(pointer) then
      return {'admitted', tonumber(place), 0, since, redis.call('HGET', admitted, u) or '0'}
    end
    local ahead = redis.call('ZCOUNT', line, '(' .. pointer, '(' .. place)
    return {'waiting', tonumber(place), ahead, since, '0'}
  end
  if redis.call('HEXISTS', pre, u) == 1 then return {'prequeue', -1, -1, since, '0'} end
  return false
end

-- The room's keys live until a day after the event (never set in the past: that would delete
-- them on the spot).
local function keep(...)
  if tonumber(p.expire_at) <= now_ms() then return end
  for _, key in ipairs({...}) do redis.call('PEXPIREAT', key, ms(p.expire_at)) end
end

if p.op == 'leave' then
  redis.call('ZREM', line, p.user)
  redis.call('HDEL', pre, p.user)
  redis.call('HDEL', joined, p.user)
  redis.call('HDEL', admitted, p.user)
  redis.call('ZREM', active, p.user)
  return 1
end

advance()
keep(line, pre, meta, joined, admitted, active)

if p.op == 'count' then
  local pointer = redis.call('HGET', meta, 'pointer') or '0'
  return {
    redis.call('HLEN', pre),
    redis.call('ZCOUNT', line, '(' .. pointer, '+inf'),
    redis.call('ZCOUNT', active, '(' .. ms(now), '+inf'),
  }
end

local found = entry(p.user)
if p.op == 'read' or found then
  if found then return {0, unpack(found)} end
  return false
end

-- join: a first visit
redis.call('HSET', joined, p.user, ms(now))
if now < start then
  redis.call('HSET', pre, p.user, ms(now))
else
  redis.call('ZADD', line, redis.call('HINCRBY', meta, 'seq', 1), p.user)
end
keep(line, pre, meta, joined, admitted, active)
return {1, unpack(entry(p.user))}
