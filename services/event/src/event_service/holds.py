"""Seat holds in Redis — the only module that touches Redis.

Keys (all through ``shared.redis.prefixed``; ``{E}`` is the event id as a hash tag, so one event's
keys share a cluster slot and every script below stays legal on Redis Cluster):

- ``event:seat:{E}:<seat_id>`` → hold id, with the hold's TTL (a held reserved seat);
- ``event:hold:{E}:<hold_id>`` → hash: the hold record (owner, places, amount, times), same TTL;
- ``event:holdidx:<hold_id>`` → event id, same TTL (the internal claim knows only the hold id);
- ``event:holdexp:{E}`` → sorted set ``<hold_id>|<tier>:<n>,...`` scored by expiry (ms): counts
  of live holds per tier, and the sweeper's list of lapsed general-admission holds to give back.
  No TTL: a lapsed general-admission entry must stay until the sweeper returns its places;
- ``event:ga:{E}:<tier>`` → places left in a general-admission tier (capacity − sold − held),
  never below zero. No TTL: it carries live holds, so it must not vanish under them;
- ``event:sold:{E}`` → set of sold seat ids, a mirror of PostgreSQL with a ``__loaded__``
  sentinel (a missing set is rebuilt from PostgreSQL, so a sold seat is never held again);
- ``event:once:{E}:<name>`` → tombstones (1 day) making message effects on counters happen once.

Every script checks before it writes, so a hold is all or nothing.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from redis.asyncio import Redis

from event_service.domain import (
    SeatsUnavailable,
    TierSoldOut,
    hold_member,
    parse_hold_member,
)
from event_service.settings import Settings
from shared.redis import prefixed

SOLD_SENTINEL = "__loaded__"
_ONCE_TTL_MS = 86_400_000
_MGET_CHUNK = 5_000

_HOLD_SEATS = """
-- KEYS: sold set, hold record, expiry index, seat keys...
-- ARGV: hold id, ttl ms, index member, expires ms, n record args, record args..., seat ids...
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local nf = tonumber(ARGV[5])
local first = 6 + nf
local bad = {}
for i = 4, #KEYS do
  local seat = ARGV[first + i - 4]
  if redis.call('SISMEMBER', KEYS[1], seat) == 1 or redis.call('EXISTS', KEYS[i]) == 1 then
    bad[#bad + 1] = seat
  end
end
if #bad > 0 then
  table.insert(bad, 1, 0)
  return bad
end
for i = 4, #KEYS do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
redis.call('HSET', KEYS[2], unpack(ARGV, 6, 5 + nf))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
return {1}
"""

_HOLD_GENERAL = """
-- KEYS: tier counter, hold record, expiry index
-- ARGV: hold id, ttl ms, index member, expires ms, quantity, record args...
local left = redis.call('GET', KEYS[1])
if not left then return {-1} end
local qty = tonumber(ARGV[5])
if tonumber(left) < qty then return {0, tonumber(left)} end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HSET', KEYS[2], unpack(ARGV, 6, #ARGV))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
return {1}
"""

_INIT_COUNTER = """
-- KEYS: tier counter, expiry index.  ARGV: capacity - sold, tier
-- Every entry of the tier still in the index holds places (a lapsed one is returned by the
-- sweeper later), so they are not left.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local left = tonumber(ARGV[1])
local suffix = ARGV[2] .. ':'
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local counts = string.sub(member, string.find(member, '|', 1, true) + 1)
  for part in string.gmatch(counts, '[^,]+') do
    if string.sub(part, 1, #suffix) == suffix then
      left = left - tonumber(string.sub(part, #suffix + 1))
    end
  end
end
if left < 0 then left = 0 end
redis.call('SET', KEYS[1], left)
return 1
"""

_RELEASE = """
-- KEYS: hold record, expiry index, tier counter (or the record again), seat keys...
-- ARGV: owner ('' = anyone), hold id, index member, general-admission quantity (0 = seats)
if ARGV[1] ~= '' then
  local owner = redis.call('HGET', KEYS[1], 'user_id')
  if not owner then return 0 end
  if owner ~= ARGV[1] then return -1 end
end
for i = 4, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[2] then redis.call('DEL', KEYS[i]) end
end
local qty = tonumber(ARGV[4])
if redis.call('ZREM', KEYS[2], ARGV[3]) == 1 and qty > 0 and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('INCRBY', KEYS[3], qty)
end
redis.call('DEL', KEYS[1])
return 1
"""

_CLAIM = """
-- KEYS: hold record, expiry index, seat keys...
-- ARGV: user id, now ms, extend ms, max lifetime ms, hold id
local owner = redis.call('HGET', KEYS[1], 'user_id')
if not owner then return {0} end
if owner ~= ARGV[1] then return {-1} end
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires_at'))
if redis.call('HGET', KEYS[1], 'claimed') == '1' then return {2, expires} end
local created = tonumber(redis.call('HGET', KEYS[1], 'created_at'))
local target = math.min(tonumber(ARGV[2]) + tonumber(ARGV[3]), created + tonumber(ARGV[4]))
if target > expires then
  redis.call('PEXPIREAT', KEYS[1], target)
  for i = 3, #KEYS do
    if redis.call('GET', KEYS[i]) == ARGV[5] then redis.call('PEXPIREAT', KEYS[i], target) end
  end
  redis.call('ZADD', KEYS[2], 'XX', target, redis.call('HGET', KEYS[1], 'member'))
  expires = target
end
redis.call('HSET', KEYS[1], 'claimed', '1', 'expires_at', string.format('%.0f', expires))
return {1, expires}
"""

_CONSUME = """
-- A booking of this hold is confirmed: the places are sold now.
-- KEYS: hold record, expiry index, tombstone, tier counter (or the record again), seat keys...
-- ARGV: hold id, index member, general-admission quantity, tombstone ttl ms
for i = 5, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
redis.call('DEL', KEYS[1])
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[4]) then
  local qty = tonumber(ARGV[3])
  local was_held = redis.call('ZREM', KEYS[2], ARGV[2]) == 1
  if not was_held and qty > 0 and redis.call('EXISTS', KEYS[4]) == 1 then
    -- the hold had lapsed and its places gone back: they are taken again by this sale
    redis.call('DECRBY', KEYS[4], qty)
  end
end
return 1
"""

_RETURN_GENERAL = """
-- KEYS: tier counter, tombstone.  ARGV: quantity, tombstone ttl ms
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('INCRBY', KEYS[1], ARGV[1])
  return 1
end
return 0
"""

_MARK_SOLD = """
-- KEYS: sold set.  ARGV: seat ids.  Adds only to a loaded mirror (0 = rebuild it first).
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('SADD', KEYS[1], unpack(ARGV, 2, #ARGV))
return 1
"""

_SWEEP_ONE = """
-- KEYS: expiry index, hold record, tier counter (or the index again)
-- ARGV: member, now ms, general-admission quantity (0 = seats)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
local qty = tonumber(ARGV[3])
if qty > 0 and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('INCRBY', KEYS[3], qty) end
return 1
"""


@dataclass(frozen=True, slots=True)
class Place:
    """One held place: a reserved seat, or (``seat_id`` None) a general-admission place."""

    seat_id: str | None
    tier: str
    price: int


@dataclass(frozen=True, slots=True)
class Hold:
    hold_id: str
    event_id: uuid.UUID
    user_id: uuid.UUID
    places: list[Place]
    tier: str | None
    quantity: int
    amount: int
    currency: str
    created_at: datetime
    expires_at: datetime
    claimed: bool

    @property
    def seat_ids(self) -> list[str]:
        return [p.seat_id for p in self.places if p.seat_id is not None]

    @property
    def member(self) -> str:
        return hold_member(self.hold_id, (p.tier for p in self.places))


class ClaimRefused(Exception):
    """The claimant is not the hold's owner."""


def now_ms() -> int:
    return int(time.time() * 1000)


def _from_ms(ms: int | float) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


class HoldStore:
    """Holds, the sold-seat mirror and general-admission counters of every event.

    The client decodes responses (``shared.redis.make_redis``), so replies are ``str``.
    """

    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.settings = settings
        self._hold_seats = redis.register_script(_HOLD_SEATS)
        self._hold_general = redis.register_script(_HOLD_GENERAL)
        self._init_counter = redis.register_script(_INIT_COUNTER)
        self._release = redis.register_script(_RELEASE)
        self._claim = redis.register_script(_CLAIM)
        self._consume = redis.register_script(_CONSUME)
        self._return_general = redis.register_script(_RETURN_GENERAL)
        self._mark_sold = redis.register_script(_MARK_SOLD)
        self._sweep_one = redis.register_script(_SWEEP_ONE)

    # --- keys ---------------------------------------------------------------------------------

    def _k(self, key: str) -> str:
        return prefixed(self.settings, key)

    def seat_key(self, event_id: uuid.UUID, seat_id: str) -> str:
        return self._k(f"event:seat:{{{event_id}}}:{seat_id}")

    def record_key(self, event_id: uuid.UUID, hold_id: str) -> str:
        return self._k(f"event:hold:{{{event_id}}}:{hold_id}")

    def index_key(self, hold_id: str) -> str:
        return self._k(f"event:holdidx:{hold_id}")

    def expiry_key(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:holdexp:{{{event_id}}}")

    def counter_key(self, event_id: uuid.UUID, tier: str) -> str:
        return self._k(f"event:ga:{{{event_id}}}:{tier}")

    def sold_key(self, event_id: uuid.UUID) -> str:
        return self._k(f"event:sold:{{{event_id}}}")

    def once_key(self, event_id: uuid.UUID, name: str) -> str:
        return self._k(f"event:once:{{{event_id}}}:{name}")

    # --- the sold mirror ----------------------------------------------------------------------

    async def load_sold(self, event_id: uuid.UUID, seat_ids: Iterable[str]) -> None:
        """(Re)build the mirror from PostgreSQL; additive, so a racing writer loses nothing."""
        key = self.sold_key(event_id)
        ids = list(seat_ids)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, SOLD_SENTINEL)
            for start in range(0, len(ids), _MGET_CHUNK):
                pipe.sadd(key, *ids[start : start + _MGET_CHUNK])
            pipe.expire(key, self.settings.SOLD_CACHE_SECONDS)
            await pipe.execute()

    async def mark_sold(
        self,
        event_id: uuid.UUID,
        seat_ids: Sequence[str],
        *,
        sold_now: Callable[[], Awaitable[list[str]]],
    ) -> None:
        if not seat_ids:
            return
        key = self.sold_key(event_id)
        if not await self._mark_sold(keys=[key], args=[SOLD_SENTINEL, *seat_ids]):
            await self.load_sold(event_id, [*await sold_now(), *seat_ids])

    async def unmark_sold(self, event_id: uuid.UUID, seat_ids: Sequence[str]) -> None:
        if seat_ids:
            await self.redis.srem(self.sold_key(event_id), *seat_ids)

    # --- holding ------------------------------------------------------------------------------

    def _new_hold(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        places: list[Place],
        tier: str | None,
        currency: str,
    ) -> Hold:
        created = now_ms()
        return Hold(
            hold_id=str(uuid.uuid4()),
            event_id=event_id,
            user_id=user_id,
            places=places,
            tier=tier,
            quantity=len(places),
            amount=sum(p.price for p in places),
            currency=currency,
            created_at=_from_ms(created),
            expires_at=_from_ms(created + self.settings.HOLD_TTL_SECONDS * 1000),
            claimed=False,
        )

    def _record_args(self, hold: Hold) -> list[str]:
        fields = {
            "user_id": str(hold.user_id),
            "event_id": str(hold.event_id),
            "places": json.dumps([[p.seat_id, p.tier, p.price] for p in hold.places]),
            "tier": hold.tier or "",
            "amount": str(hold.amount),
            "currency": hold.currency,
            "created_at": str(int(hold.created_at.timestamp() * 1000)),
            "expires_at": str(int(hold.expires_at.timestamp() * 1000)),
            "claimed": "0",
            "member": hold.member,
        }
        return [item for pair in fields.items() for item in pair]

    async def _index(self, hold: Hold) -> None:
        await self.redis.set(
            self.index_key(hold.hold_id), str(hold.event_id), pxat=_ms(hold.expires_at)
        )

    async def hold_seats(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        places: list[Place],
        currency: str,
        sold_now: Callable[[], Awaitable[list[str]]],
    ) -> Hold:
        """Hold all of ``places`` (reserved seats) or none: SeatsUnavailable names the rest."""
        hold = self._new_hold(
            event_id=event_id, user_id=user_id, places=places, tier=None, currency=currency
        )
        record = self._record_args(hold)
        seat_ids = hold.seat_ids
        keys = [
            self.sold_key(event_id),
            self.record_key(event_id, hold.hold_id),
            self.expiry_key(event_id),
            *(self.seat_key(event_id, s) for s in seat_ids),
        ]
        args: list[str | int] = [
            hold.hold_id,
            self.settings.HOLD_TTL_SECONDS * 1000,
            hold.member,
            _ms(hold.expires_at),
            len(record),
            *record,
            *seat_ids,
        ]
        for _attempt in range(2):
            result = await self._hold_seats(keys=keys, args=args)
            if result[0] == -1:
                await self.load_sold(event_id, await sold_now())
                continue
            if result[0] == 0:
                raise SeatsUnavailable([str(s) for s in result[1:]])
            await self._index(hold)
            return hold
        raise RuntimeError("the sold-seat mirror vanished twice while holding")

    async def hold_general(
        self,
        *,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        tier: str,
        price: int,
        quantity: int,
        currency: str,
        unsold_now: Callable[[], Awaitable[int]],
    ) -> Hold:
        """Take ``quantity`` places of a general-admission tier, or none (TierSoldOut)."""
        places = [Place(None, tier, price) for _ in range(quantity)]
        hold = self._new_hold(
            event_id=event_id, user_id=user_id, places=places, tier=tier, currency=currency
        )
        counter = self.counter_key(event_id, tier)
        keys = [counter, self.record_key(event_id, hold.hold_id), self.expiry_key(event_id)]
        args: list[str | int] = [
            hold.hold_id,
            self.settings.HOLD_TTL_SECONDS * 1000,
            hold.member,
            _ms(hold.expires_at),
            quantity,
            *self._record_args(hold),
        ]
        for _attempt in range(2):
            result = await self._hold_general(keys=keys, args=args)
            if result[0] == -1:
                unsold = await unsold_now()
                await self._init_counter(
                    keys=[counter, self.expiry_key(event_id)], args=[unsold, tier]
                )
                continue
            if result[0] == 0:
                raise TierSoldOut(tier, quantity)
            await self._index(hold)
            return hold
        raise RuntimeError("the tier counter vanished twice while holding")

    # --- reading ------------------------------------------------------------------------------

    async def find_event(self, hold_id: str) -> uuid.UUID | None:
        value = cast(str | None, await self.redis.get(self.index_key(hold_id)))
        return uuid.UUID(value) if value else None

    async def get(self, event_id: uuid.UUID, hold_id: str) -> Hold | None:
        raw = cast(dict[str, str], await self.redis.hgetall(self.record_key(event_id, hold_id)))
        if not raw or "user_id" not in raw:
            return None
        places = [Place(s, t, int(p)) for s, t, p in json.loads(raw["places"])]
        expires = int(raw["expires_at"])
        if expires <= now_ms():
            return None
        return Hold(
            hold_id=hold_id,
            event_id=event_id,
            user_id=uuid.UUID(raw["user_id"]),
            places=places,
            tier=raw.get("tier") or None,
            quantity=len(places),
            amount=int(raw["amount"]),
            currency=raw["currency"],
            created_at=_from_ms(int(raw["created_at"])),
            expires_at=_from_ms(expires),
            claimed=raw.get("claimed") == "1",
        )

    async def held_seats(self, event_id: uuid.UUID, seat_ids: Sequence[str]) -> set[str]:
        """Which of ``seat_ids`` are held right now."""
        held: set[str] = set()
        for start in range(0, len(seat_ids), _MGET_CHUNK):
            chunk = seat_ids[start : start + _MGET_CHUNK]
            values = await self.redis.mget([self.seat_key(event_id, s) for s in chunk])
            held.update(s for s, v in zip(chunk, values, strict=True) if v is not None)
        return held

    async def held_by_tier(self, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
        """Places in live holds per event and tier (from the expiry index)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.zrangebyscore(self.expiry_key(event_id), f"({now_ms()}", "+inf")
            results = await pipe.execute()
        counts: dict[uuid.UUID, dict[str, int]] = {}
        for event_id, members in zip(event_ids, results, strict=True):
            per_tier: dict[str, int] = {}
            for member in members:
                for tier, n in parse_hold_member(member)[1].items():
                    per_tier[tier] = per_tier.get(tier, 0) + n
            counts[event_id] = per_tier
        return counts

    async def counters(
        self, wanted: Sequence[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], int | None]:
        """Places left per general-admission (event, tier); None where no counter exists yet."""
        if not wanted:
            return {}
        values = await self.redis.mget([self.counter_key(e, t) for e, t in wanted])
        return {w: (int(v) if v is not None else None) for w, v in zip(wanted, values, strict=True)}

    # --- ending holds -------------------------------------------------------------------------

    async def release(self, hold: Hold, *, owner: uuid.UUID) -> bool:
        """The owner lets the hold go: its places are free at once. False if it was gone."""
        result = await self._release_places(
            hold.event_id, hold.hold_id, hold.places, owner=str(owner)
        )
        if result == -1:
            raise ClaimRefused(hold.hold_id)
        return result == 1

    async def release_for_booking(
        self, event_id: uuid.UUID, hold_id: str, places: Sequence[Place]
    ) -> None:
        """A booking made from the hold ended unpaid: free the places still carrying the hold."""
        await self._release_places(event_id, hold_id, places, owner="")

    async def _release_places(
        self, event_id: uuid.UUID, hold_id: str, places: Sequence[Place], *, owner: str
    ) -> int:
        ga = [p for p in places if p.seat_id is None]
        record = self.record_key(event_id, hold_id)
        counter = self.counter_key(event_id, ga[0].tier) if ga else record
        keys = [
            record,
            self.expiry_key(event_id),
            counter,
            *(self.seat_key(event_id, p.seat_id) for p in places if p.seat_id is not None),
        ]
        member = hold_member(hold_id, (p.tier for p in places))
        result = int(await self._release(keys=keys, args=[owner, hold_id, member, len(ga)]))
        if result == 1:
            await self.redis.delete(self.index_key(hold_id))
        return result

    async def claim(
        self, event_id: uuid.UUID, hold_id: str, *, user_id: uuid.UUID, extend_seconds: int
    ) -> Hold | None:
        """Extend the hold once for its owner (never past its hard cap); None if it is gone."""
        hold = await self.get(event_id, hold_id)
        if hold is None:
            return None
        keys = [
            self.record_key(event_id, hold_id),
            self.expiry_key(event_id),
            *(self.seat_key(event_id, s) for s in hold.seat_ids),
        ]
        args: list[str | int] = [
            str(user_id),
            now_ms(),
            extend_seconds * 1000,
            self.settings.HOLD_MAX_SECONDS * 1000,
            hold_id,
        ]
        result = await self._claim(keys=keys, args=args)
        if result[0] == 0:
            return None
        if result[0] == -1:
            raise ClaimRefused(hold_id)
        expires_ms = int(result[1])
        if result[0] == 1:
            await self.redis.pexpireat(self.index_key(hold_id), expires_ms)
        return Hold(
            hold_id=hold.hold_id,
            event_id=hold.event_id,
            user_id=hold.user_id,
            places=hold.places,
            tier=hold.tier,
            quantity=hold.quantity,
            amount=hold.amount,
            currency=hold.currency,
            created_at=hold.created_at,
            expires_at=_from_ms(expires_ms),
            claimed=True,
        )

    async def consume(
        self, event_id: uuid.UUID, hold_id: str, places: Sequence[Place], *, booking_id: uuid.UUID
    ) -> None:
        """The hold's booking is confirmed: drop the hold; its places now count as sold."""
        ga = [p for p in places if p.seat_id is None]
        record = self.record_key(event_id, hold_id)
        keys = [
            record,
            self.expiry_key(event_id),
            self.once_key(event_id, f"consumed:{booking_id}"),
            self.counter_key(event_id, ga[0].tier) if ga else record,
            *(self.seat_key(event_id, p.seat_id) for p in places if p.seat_id is not None),
        ]
        member = hold_member(hold_id, (p.tier for p in places))
        await self._consume(keys=keys, args=[hold_id, member, len(ga), _ONCE_TTL_MS])
        await self.redis.delete(self.index_key(hold_id))

    async def return_general(
        self, event_id: uuid.UUID, tier: str, quantity: int, *, booking_id: uuid.UUID
    ) -> None:
        """Sold general-admission places of a cancelled booking go back to the tier (once)."""
        keys = [
            self.counter_key(event_id, tier),
            self.once_key(event_id, f"returned:{booking_id}:{tier}"),
        ]
        await self._return_general(keys=keys, args=[quantity, _ONCE_TTL_MS])

    async def sweep(self, event_id: uuid.UUID, *, general_tiers: set[str]) -> int:
        """Drop lapsed holds from the index; lapsed general-admission places go back. Returns
        how many holds were swept."""
        index = self.expiry_key(event_id)
        now = now_ms()
        lapsed = cast(list[str], await self.redis.zrangebyscore(index, "-inf", now))
        swept = 0
        for member in lapsed:
            hold_id, counts = parse_hold_member(member)
            ga = [(t, n) for t, n in counts.items() if t in general_tiers]
            counter = self.counter_key(event_id, ga[0][0]) if ga else index
            quantity = ga[0][1] if ga else 0
            keys = [index, self.record_key(event_id, hold_id), counter]
            swept += int(await self._sweep_one(keys=keys, args=[member, now, quantity]))
        return swept


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
