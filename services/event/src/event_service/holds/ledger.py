"""Sales in Redis: the sold mirror, availability snapshots, the general-admission sweeper."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from event_service.holds import scripts
from event_service.holds.holding import Holding
from event_service.holds.models import FactsStale, MirrorMissing, Place, now_ms

SOLD_SENTINEL = "v2"  # the mirror's format marker: without it, scripts treat it as missing
_HSET_CHUNK = 5_000


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


class Ledger(Holding):
    # --- the sold mirror ----------------------------------------------------------------------

    async def rebuild_sold(self, event_id: uuid.UUID, state: SoldState) -> None:
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

    async def forget_sold(self, event_id: uuid.UUID) -> None:
        """Drop the mirror (the next reader rebuilds it from PostgreSQL)."""
        await self.redis.delete(self.keys.sold(event_id))

    async def _sale_keys(self, event_id: uuid.UUID, hold_id: str, user_id: uuid.UUID) -> list[str]:
        """The keys of CONSUME / UNDO. Booking's messages do not know the client address the
        hold was taken from: the hold record does (gone with the hold: then its entry in the
        address's holds has lapsed anyway)."""
        record = self.keys.record(event_id, hold_id)
        address = cast(str | None, await self.redis.hget(record, "addr"))
        return [
            self.keys.sold(event_id),
            record,
            self.keys.buyer(event_id, user_id),
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
            self.keys.address(event_id, address or ""),
        ]

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
        tail, payload = self._release_payload(event_id, hold_id, user_id, places)
        payload |= {"booking": str(booking_id), "user": str(user_id)}
        keys = [*await self._sale_keys(event_id, hold_id, user_id), *tail]
        await self._consume(keys=keys, args=[json.dumps(payload)])
        await self.redis.delete(self.keys.index(hold_id))

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
        tail, payload = self._release_payload(event_id, hold_id, user_id, places)
        payload |= {
            "booking": str(booking_id),
            "user": str(user_id),
            "sold_seats": [list(s) for s in sold_seats],
            "ga_sold": [[tier, counted] for tier, _, counted in general_sold],
        }
        keys = [*await self._sale_keys(event_id, hold_id, user_id), *tail]
        await self._undo(keys=keys, args=[json.dumps(payload)])
        await self.redis.delete(self.keys.index(hold_id))

    # --- availability -------------------------------------------------------------------------

    def _snapshot_call(
        self, event_id: uuid.UUID, reserved: Sequence[str], general: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        keys = [
            self.keys.sold(event_id),
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
            *(self.keys.held(event_id, t) for t in reserved),
        ]
        return keys, [json.dumps({"reserved": list(reserved), "general": list(general)})]

    async def snapshots(
        self, wanted: Sequence[tuple[uuid.UUID, Sequence[str], Sequence[str]]]
    ) -> dict[uuid.UUID, dict[str, TierCount] | None]:
        """Per event ``(id, reserved tiers, general tiers)``: sold and held per tier, all read by
        one script per event (so ``sold + held`` never counts a place twice); None where the
        event's sold mirror is missing (rebuild, then ask again)."""
        if not wanted:
            return {}
        calls = [self._snapshot_call(e, reserved, general) for e, reserved, general in wanted]
        return self._parse_snapshots(wanted, await self._eval_many(self._snapshot, calls))

    @staticmethod
    def _parse_snapshots(
        wanted: Sequence[tuple[uuid.UUID, Sequence[str], Sequence[str]]], results: Sequence[Any]
    ) -> dict[uuid.UUID, dict[str, TierCount] | None]:
        out: dict[uuid.UUID, dict[str, TierCount] | None] = {}
        for (event_id, reserved, general), result in zip(wanted, results, strict=True):
            if int(result[0]) != 1:
                out[event_id] = None
                continue
            values = [int(v) for v in result[1:]]
            tiers = [*reserved, *general]
            out[event_id] = {
                t: TierCount(sold=values[2 * i], held=values[2 * i + 1])
                for i, t in enumerate(tiers)
            }
        return out

    async def snapshots_and_get(
        self, key: str, wanted: Sequence[tuple[uuid.UUID, Sequence[str], Sequence[str]]]
    ) -> tuple[str | None, dict[uuid.UUID, dict[str, TierCount] | None]]:
        """``GET key`` and ``snapshots(wanted)`` in the same round trip (the catalog reads its
        version with the counts it lays over what it remembers of that version)."""
        calls = [self._snapshot_call(e, reserved, general) for e, reserved, general in wanted]
        value, *results = await self._eval_many(self._snapshot, calls, get=key)
        return value, self._parse_snapshots(wanted, results)

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
        result = (await self._eval_many(self._seat_states, [(keys, [token])]))[0]
        code = int(result[0])
        if code == scripts.STALE:
            raise FactsStale()
        if code == scripts.MIRROR_MISSING:
            raise MirrorMissing()
        n = int(result[1])
        return [str(s) for s in result[2 : 2 + n]], [str(s) for s in result[2 + n :]]

    # --- the end of holds ---------------------------------------------------------------------

    async def sweep(self, *, batch: int = 200) -> int:
        """Give back the places of lapsed general-admission holds, visiting only events whose
        next hold expiry has passed (the global ``event:sweep`` index). Returns holds swept."""
        index = self.keys.sweep()
        due = cast(
            list[str], await self.redis.zrangebyscore(index, "-inf", now_ms(), start=0, num=batch)
        )
        swept = 0
        for member in due:
            event_id = uuid.UUID(member)
            # park the entry at a bound no hold outlives; a hold made meanwhile lowers it again
            placeholder = now_ms() + (self.settings.HOLD_MAX_SECONDS + 60) * 1000
            await self.redis.zadd(index, {member: placeholder}, xx=True)
            result = await self._sweep_event(
                keys=[self.keys.ga_expiry(event_id), self.keys.ga_held(event_id)]
            )
            swept += int(result[0])
            await self._sweep_settle(keys=[index], args=[member, placeholder, int(result[1])])
        return swept

    async def release_all(self, event_id: uuid.UUID, reserved_tiers: Iterable[str]) -> int:
        """The event is cancelled or deleted (no new hold can start): every live hold goes."""
        zsets = [self.keys.held(event_id, t) for t in reserved_tiers]
        holds: set[str] = set()
        doomed: list[str] = []
        for zset in zsets:
            seats = cast(list[str], await self.redis.zrange(zset, 0, -1))
            seat_keys = [self.keys.seat(event_id, s) for s in seats]
            if seat_keys:
                values = cast(list[str | None], await self.redis.mget(seat_keys))
                holds.update(h for h in values if h is not None)
            doomed += [*seat_keys, zset]
        for member in cast(
            list[str], await self.redis.zrange(self.keys.ga_expiry(event_id), 0, -1)
        ):
            holds.add(member.partition("|")[0])
        doomed += [self.keys.ga_expiry(event_id), self.keys.ga_held(event_id)]
        doomed += [self.keys.record(event_id, h) for h in holds]
        doomed += [self.keys.index(h) for h in holds]  # not tagged by event: one key per command
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in doomed:
                pipe.unlink(key)
            await pipe.execute()
        return len(holds)
