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
