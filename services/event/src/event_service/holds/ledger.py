"""Sales in Redis: the sold mirror, availability snapshots, the general-admission sweeper."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from event_service.holds.holding import Holding
from event_service.holds.models import MirrorMissing, Place, now_ms

SOLD_SENTINEL = "__loaded__"
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

    def _sale_keys(self, event_id: uuid.UUID, hold_id: str, user_id: uuid.UUID) -> list[str]:
        return [
            self.keys.sold(event_id),
            self.keys.record(event_id, hold_id),
            self.keys.buyer(event_id, user_id),
            self.keys.ga_held(event_id),
            self.keys.ga_expiry(event_id),
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
        payload |= {
            "booking": str(booking_id),
            "retention": self.settings.BUYER_SALE_RETENTION_SECONDS * 1000,
        }
        keys = [*self._sale_keys(event_id, hold_id, user_id), *tail]
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
        sold_seats: Sequence[tuple[str, str]],
        general_sold: Sequence[tuple[str, int]],
    ) -> None:
        """After PostgreSQL dropped a booking's sales: unsell them here, free what it held."""
        tail, payload = self._release_payload(event_id, hold_id, user_id, places)
        payload |= {
            "booking": str(booking_id),
            "sold_seats": [list(s) for s in sold_seats],
            "ga_sold": [list(g) for g in general_sold],
        }
        keys = [*self._sale_keys(event_id, hold_id, user_id), *tail]
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
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id, reserved, general in wanted:
                keys, args = self._snapshot_call(event_id, reserved, general)
                await self._snapshot(keys=keys, args=args, client=pipe)
            results = await pipe.execute()
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

    async def snapshot(
        self, event_id: uuid.UUID, reserved: Sequence[str], general: Sequence[str]
    ) -> dict[str, TierCount]:
        result = (await self.snapshots([(event_id, reserved, general)]))[event_id]
        if result is None:
            raise MirrorMissing()
        return result

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
