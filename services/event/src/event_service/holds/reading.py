"""Reading holds: one hold, the event of a hold, which seats are held or taken."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import cast

from event_service.holds.models import (
    FactsStale,
    Hold,
    MirrorMissing,
    Place,
    StoreBase,
    from_ms,
    now_ms,
)

_MGET_CHUNK = 5_000


class Reading(StoreBase):
    async def find_event(self, hold_id: str) -> uuid.UUID | None:
        value = cast(str | None, await self.redis.get(self.keys.index(hold_id)))
        return uuid.UUID(value) if value else None

    async def get(self, event_id: uuid.UUID, hold_id: str) -> Hold | None:
        """The live hold (None once it lapsed, was released or became a sale)."""
        raw = cast(dict[str, str], await self.redis.hgetall(self.keys.record(event_id, hold_id)))
        if not raw or "user_id" not in raw:
            return None
        places = [Place(s, t, int(p)) for s, t, p in json.loads(raw["places"])]
        return Hold(
            hold_id=hold_id,
            event_id=event_id,
            user_id=uuid.UUID(raw["user_id"]),
            places=places,
            tier=raw.get("tier") or None,
            quantity=len(places),
            amount=int(raw["amount"]),
            currency=raw["currency"],
            created_at=from_ms(int(raw["created_at"])),
            expires_at=from_ms(int(raw["expires_at"])),
            claimed=raw.get("claimed") == "1",
            address=raw.get("addr", ""),
        )

    async def held_seats(self, event_id: uuid.UUID, seat_ids: Sequence[str]) -> set[str]:
        """Which of ``seat_ids`` are held right now."""
        held: set[str] = set()
        for start in range(0, len(seat_ids), _MGET_CHUNK):
            chunk = seat_ids[start : start + _MGET_CHUNK]
            values = await self.redis.mget([self.keys.seat(event_id, s) for s in chunk])
            held.update(s for s, v in zip(chunk, values, strict=True) if v is not None)
        return held

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
            pipe.zrangebyscore(self.keys.held(event_id, tier), f"({now_ms()}", "+inf")
            current, fields, held = await pipe.execute()
        if current != token:
            raise FactsStale()
        if not fields:
            raise MirrorMissing()
        return cast(list[str], fields), cast(list[str], held)
