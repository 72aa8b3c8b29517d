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
