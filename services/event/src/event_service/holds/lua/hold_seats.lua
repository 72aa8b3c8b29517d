-- Reserved seats, all or nothing: the first of the candidate groups whose seats are all free.
-- KEYS: 1 sold mirror, 2 hold record, 3 buyer's holds, 4 facts, 5 the address's holds, then one
-- zset per tier in p.tiers, then the seat keys of every group, group after group, then the
-- waiting line of each tier in p.tiers, the waiting-list entries and the open offers.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[4], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local now = now_ms()
local want = #p.groups[1]
local zbase = 5
local wbase = zbase + #p.tiers
for _, group in ipairs(p.groups) do wbase = wbase + #group end
for t = 1, #p.tiers do
  if not list_allows(p, wbase + t) then
    if p.offer ~= '' then return {-8} end
    -- for everyone else the tier's seats are taken while its waiting list waits
    local taken = {0}
    for _, seat in ipairs(p.groups[1]) do
      if seat[2] == t then taken[#taken + 1] = seat[1] end
    end
    return taken
  end
end
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
-- the limits and hold rules after the seats: a race for taken seats is refused by the cheap
-- check (a few EXISTS), before the buyer's holds are counted
local refused = refusal(p, want, 1, 3, 5, now)
if refused then return refused end
local expires = now + p.ttl
for t = 1, #p.tiers do redis.call('ZREMRANGEBYSCORE', KEYS[zbase + t], '-inf', now) end
for i, seat in ipairs(p.groups[chosen]) do
  redis.call('SET', KEYS[first + i], p.hold, 'PXAT', ms(expires))
  redis.call('ZADD', KEYS[zbase + seat[2]], expires, seat[1])
end
write_record(KEYS[2], p, chosen, now, expires)
count_hold(3, 5, p, want, expires)
if p.offer ~= '' then
  offer_made(p, wbase + 1, wbase + #p.tiers + 1, wbase + #p.tiers + 2, expires)
end
return {1, chosen, now, expires}
