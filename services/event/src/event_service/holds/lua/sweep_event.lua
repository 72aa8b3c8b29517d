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
