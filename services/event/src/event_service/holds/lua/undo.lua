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
