-- An offer whose hold is gone without a sale (it lapsed, was released, or its booking ended) is
-- over: the entry is 'expired', and the places pass on to the list. A sale marked the entry
-- 'fulfilled' before the hold went (consume.lua), so a sold offer never lapses here.
-- KEYS: 1 the entries, 2 the open offers, 3 the offer's hold record.  Returns 1 if it lapsed.
local p = cjson.decode(ARGV[1])
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local raw = redis.call('HGET', KEYS[1], p.field)
local entry = raw and cjson.decode(raw)
if entry and entry.status == 'offered' and entry.hold_id ~= p.hold then return 0 end
redis.call('SREM', KEYS[2], p.field)
if not entry or entry.status ~= 'offered' then return 0 end
entry.status = 'expired'
redis.call('HSET', KEYS[1], p.field, cjson.encode(entry))
return 1
