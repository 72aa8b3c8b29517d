"""The sold mirror: PostgreSQL's sales in Redis, so that holds and availability never read
PostgreSQL — sales and their undoing, rebuilds, and the readings of what is taken (sold or held).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from redis.asyncio import Redis

from event_service.clock import Clock
from event_service.holds import scripts
from event_service.holds.calls import freeing, list_keys
from event_service.holds.keys import Keys
from event_service.holds.models import FactsStale, MirrorMissing, Place
from event_service.holds.scripts import Script, Scripts, dumps, eval_many
from event_service.settings import Settings

_Call = tuple[list[str], list[Any]]
_MEMO_CALLS = 4096

SOLD_SENTINEL = "v2"  # the mirror's format marker: without it, scripts treat it as missing
_HSET_CHUNK = 5_000

Wanted = Sequence[tuple[uuid.UUID, Sequence[str], Sequence[str]]]  # (event, reserved, general)


@dataclass(frozen=True, slots=True)
class TierCount:
    sold: int
    held: int


@dataclass(frozen=True, slots=True)
class SoldState:
    """An event's sales as PostgreSQL has them (what the mirror is rebuilt from)."""

    seats: Mapping[str, str]  # seat id -> tier
    general: Sequence[tuple[uuid.UUID, str, int]]  # (booking, tier, quantity)
    buyers: Mapping[uuid.UUID, int] = field(default_factory=dict)  # places sold per buyer


@dataclass(frozen=True, slots=True)
class SoldMirror:
    """The sold mirror of every event, in Redis (see the module doc)."""

    redis: Redis
    keys: Keys
    scripts: Scripts
    settings: Settings
    clock: Clock  # which held seats a search skips (the hold script checks again)
    # the snapshot script's keys and argument per (event, tiers): the same on every reading
    _calls: dict[tuple[uuid.UUID, tuple[str, ...], tuple[str, ...]], _Call] = field(
        default_factory=dict, compare=False, repr=False
    )

    async def rebuild(self, event_id: uuid.UUID, state: SoldState) -> None:
        """Replace the mirror with PostgreSQL's sales, atomically (readers never see half)."""
        fields: dict[str, str | int] = {SOLD_SENTINEL: 1}
        counts: dict[str, int] = {}
        for seat, tier in state.seats.items():
            fields[f"s:{seat}"] = tier
            counts[tier] = counts.get(tier, 0) + 1
        for booking, tier, quantity in state.general:
            fields[f"g:{booking}:{tier}"] = quantity
            counts[tier] = counts.get(tier, 0) + quantity
        fields |= {f"n:{tier}": n for tier, n in counts.items()}
        fields |= {f"b:{user}": n for user, n in state.buyers.items() if n > 0}
        staging, key = self.keys.sold_staging(event_id), self.keys.sold(event_id)
        items = list(fields.items())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(staging)
            for start in range(0, len(items), _HSET_CHUNK):
                pipe.hset(staging, mapping=dict(items[start : start + _HSET_CHUNK]))
            pipe.expire(staging, self.settings.SOLD_CACHE_SECONDS)
            pipe.rename(staging, key)
            await pipe.execute()

    async def forget(self, event_id: uuid.UUID) -> None:
        """Drop the mirror (the next reader rebuilds it from PostgreSQL)."""
        await self.redis.delete(self.keys.sold(event_id))

    # --- sales --------------------------------------------------------------------------------

    async def consume(
        self,
        event_id: uuid.UUID,
        hold_id: str,
        places: Sequence[Place],
        *,
        booking_id: uuid.UUID,
        user_id: uuid.UUID,
    ) -> None:
        """The hold's booking is confirmed: its places are sold (mirror), the hold is done."""
        extra = {"booking": str(booking_id), "user": str(user_id)}
        more = list_keys(self.keys, event_id, [])  # an offered hold's entry is fulfilled
        await self._sale_call(self.scripts.consume, event_id, hold_id, places, user_id, extra, more)

    async def undo(
        self,
        event_id: uuid.UUID,
        hold_id: str,
        places: Sequence[Place],
        *,
        booking_id: uuid.UUID,
        user_id: uuid.UUID,
        sold_seats: Sequence[tuple[str, str, bool]],
        general_sold: Sequence[tuple[str, int, bool]],
    ) -> None:
        """After PostgreSQL dropped a booking's sales: unsell them here, free what it held.
        ``sold_seats`` (seat, tier, counted) / ``general_sold`` (tier, quantity, counted):
        counted = PostgreSQL had the buyer of the sale (so the mirror counts it for them)."""
        extra = {
            "booking": str(booking_id),
            "user": str(user_id),
            "sold_seats": [list(s) for s in sold_seats],
            "ga_sold": [[tier, counted] for tier, _, counted in general_sold],
        }
        await self._sale_call(self.scripts.undo, event_id, hold_id, places, user_id, extra)

    async def _sale_call(
        self,
        script: Script,
        event_id: uuid.UUID,
        hold_id: str,
        places: Sequence[Place],
        user_id: uuid.UUID,
        extra: dict[str, Any],
        more: Sequence[str] = (),
    ) -> None:
        """CONSUME or UNDO. Booking's messages do not know the client address the hold was
        taken from: the hold record does (gone with the hold: then its entry in the address's
        holds has lapsed anyway). An index key (hold ids of before) just expires with the hold."""
        tail, payload = freeing(self.keys, event_id, hold_id, places)
        record = self.keys.record(event_id, hold_id)
        address = cast(str | None, await self.redis.hget(record, "addr"))
        keys = [
            self.keys.sold(event_id),
            record,
            self.keys.buyer(event_id, user_id),
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
            self.keys.address(event_id, address or ""),
            *tail,
            *more,
        ]
        await script(keys=keys, args=[dumps(payload | extra)])

    # --- what is taken ------------------------------------------------------------------------

    def _snapshot_call(
        self, event_id: uuid.UUID, reserved: Sequence[str], general: Sequence[str]
    ) -> _Call:
        """Built once per event and tiers (a listing page reads twenty events every time)."""
        memo = (event_id, tuple(reserved), tuple(general))
        call = self._calls.get(memo)
        if call is None:
            keys = [
                self.keys.sold(event_id),
                self.keys.ga_held(event_id),
                self.keys.ga_expiry(event_id),
                *(self.keys.held(event_id, t) for t in reserved),
            ]
            call = keys, [dumps({"reserved": list(reserved), "general": list(general)})]
            if len(self._calls) >= _MEMO_CALLS:
                self._calls.clear()
            self._calls[memo] = call
        return call

    async def snapshots(self, wanted: Wanted) -> dict[uuid.UUID, dict[str, TierCount] | None]:
        """Per event ``(id, reserved tiers, general tiers)``: sold and held per tier, all read by
        one script per event (so ``sold + held`` never counts a place twice); None where the
        event's sold mirror is missing (rebuild, then ask again)."""
        if not wanted:
            return {}
        calls = [self._snapshot_call(e, reserved, general) for e, reserved, general in wanted]
        return _parse_snapshots(wanted, await eval_many(self.redis, self.scripts.snapshot, calls))

    async def snapshots_and_get(
        self, key: str, wanted: Wanted
    ) -> tuple[str | None, dict[uuid.UUID, dict[str, TierCount] | None]]:
        """``GET key`` and ``snapshots(wanted)`` in the same round trip (the catalog reads its
        version with the counts it lays over what it remembers of that version)."""
        calls = [self._snapshot_call(e, reserved, general) for e, reserved, general in wanted]
        value, *results = await eval_many(self.redis, self.scripts.snapshot, calls, get=key)
        return value, _parse_snapshots(wanted, results)

    async def snapshot(
        self, event_id: uuid.UUID, reserved: Sequence[str], general: Sequence[str]
    ) -> dict[str, TierCount]:
        result = (await self.snapshots([(event_id, reserved, general)]))[event_id]
        if result is None:
            raise MirrorMissing()
        return result

    async def seat_states(
        self, event_id: uuid.UUID, token: str, reserved: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """(sold seats, held seats) of the event in one reading; FactsStale unless ``token`` is
        the event's current facts token, MirrorMissing without the sold mirror."""
        keys = [
            self.keys.facts(event_id),
            self.keys.sold(event_id),
            *(self.keys.held(event_id, t) for t in reserved),
        ]
        result = (await eval_many(self.redis, self.scripts.seat_states, [(keys, [token])]))[0]
        if int(result[0]) != scripts.OK:
            scripts.raise_refusal(int(result[0]), result)
        n = int(result[1])
        return [str(s) for s in result[2 : 2 + n]], [str(s) for s in result[2 + n :]]

    async def taken_seats(self, event_id: uuid.UUID, seat_ids: Sequence[str]) -> set[str]:
        """Which of ``seat_ids`` are held or sold (sold: the Redis mirror), in one round trip."""
        if not seat_ids:
            return set()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.mget([self.keys.seat(event_id, s) for s in seat_ids])
            pipe.hmget(self.keys.sold(event_id), [f"s:{s}" for s in seat_ids])
            held, sold = await pipe.execute()
        return {
            s
            for s, h, x in zip(seat_ids, held, sold, strict=True)
            if h is not None or x is not None
        }

    async def taken_in_tier(
        self, event_id: uuid.UUID, token: str, tier: str
    ) -> tuple[list[str], list[str]]:
        """(the sold mirror's field names, the seats held in ``tier``) in one round trip: what
        a search over a whole tier needs, far cheaper than every seat's state (the sold seats
        are the mirror's ``s:<seat>`` fields). A reading only — the hold script checks again:
        FactsStale unless ``token`` is current, MirrorMissing without the mirror."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(self.keys.facts(event_id), "token")
            pipe.hkeys(self.keys.sold(event_id))
            pipe.zrangebyscore(self.keys.held(event_id, tier), f"({self.clock.now_ms()}", "+inf")
            current, fields, held = await pipe.execute()
        if current != token:
            raise FactsStale()
        if not fields:
            raise MirrorMissing()
        return cast(list[str], fields), cast(list[str], held)


def _parse_snapshots(
    wanted: Wanted, results: Sequence[Any]
) -> dict[uuid.UUID, dict[str, TierCount] | None]:
    out: dict[uuid.UUID, dict[str, TierCount] | None] = {}
    for (event_id, reserved, general), result in zip(wanted, results, strict=True):
        if int(result[0]) != 1:
            out[event_id] = None
            continue
        values = [int(v) for v in result[1:]]
        tiers = [*reserved, *general]
        out[event_id] = {
            t: TierCount(sold=values[2 * i], held=values[2 * i + 1]) for i, t in enumerate(tiers)
        }
    return out
