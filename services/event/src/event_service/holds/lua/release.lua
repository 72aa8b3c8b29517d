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
