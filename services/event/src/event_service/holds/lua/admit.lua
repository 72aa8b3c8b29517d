-- Would a hold of p.want places pass the rules? Asked before a best-available search, so a
-- refused request costs one cheap reading; the hold script checks all of it again.
-- KEYS: 1 sold mirror, 2 buyer's holds, 3 facts, 4 the address's holds.
local p = cjson.decode(ARGV[1])
if not facts_current(KEYS[3], p.token) then return {-5} end
if not mirror_loaded(KEYS[1]) then return {-1} end
local refused = refusal(p, p.want, 1, 2, 4, now_ms())
if refused then return refused end
return {1}
