"""The waiting lists in Redis (``lua/waitlist_*.lua``; offers are made by the hold scripts, so
that no place is ever both offered and held or sold by someone else).

Per event: a line per tier (users by join number), one hash of entries and the set of entries
with an open offer; a global index of the events that have a list, visited by the process
that hands out returned places (under a short per-event lock, so that several replicas never
offer the same places twice or out of order)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis

from event_service.holds.keys import Keys
from event_service.holds.models import MirrorMissing, from_ms
from event_service.holds.scripts import MIRROR_MISSING, PLACES_FREE, Scripts, dumps

_JOINED, _KNOWN = 1, 2


class PlacesFree(Exception):
    """The tier has places for everyone: buy them, there is nothing to wait for."""

    def __init__(self, free: int) -> None:
        super().__init__(free)
        self.free = free


@dataclass(frozen=True, slots=True)
class ListEntry:
    id: str
    tier: str
    quantity: int
    status: str  # waiting, offered, expired, fulfilled
    joined_at: datetime
    position: int | None  # 1 = next in line; None unless waiting
    hold_id: str | None
    expires_at: datetime | None

    @classmethod
    def parse(cls, raw: str, position: int | None) -> ListEntry:
        data: dict[str, Any] = json.loads(raw)
        expires = data.get("expires_at")
        waiting = data["status"] == "waiting"
        return cls(
            id=data["id"],
            tier=data["tier"],
            quantity=int(data["quantity"]),
            status=data["status"],
            joined_at=from_ms(int(data["joined_at"])),
            position=position if waiting and position and position > 0 else None,
            hold_id=data.get("hold_id"),
            expires_at=from_ms(int(expires)) if expires is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Waiting:
    """Someone in a tier's line (in line order)."""

    user_id: uuid.UUID
    quantity: int
    email: str  # where the offer is sent


def field(tier: str, user_id: uuid.UUID) -> str:
    """The entry's name in the event's entries hash (and an offer's ``Limits.offer_to``)."""
    return f"{tier}|{user_id}"


@dataclass(frozen=True, slots=True)
class WaitlistStore:
    redis: Redis
    keys: Keys
    scripts: Scripts

    async def join(
        self,
        event_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        tier: str,
        quantity: int,
        capacity: int,
        general: bool,
        email: str,
        keep_until_ms: int,
    ) -> tuple[ListEntry, bool]:
        """The caller's entry, and whether it is new (an entry waiting or offered is kept).
        PlacesFree while the tier has places for everyone; MirrorMissing: rebuild, retry."""
        held = self.keys.ga_held(event_id) if general else self.keys.held(event_id, tier)
        keys = [
            self.keys.waitlist(event_id, tier),
            self.keys.waitlist_entries(event_id),
            self.keys.sold(event_id),
            held,
            self.keys.ga_expiry(event_id),
        ]
        payload = {
            "user": str(user_id),
            "field": field(tier, user_id),
            "id": str(uuid.uuid4()),
            "tier": tier,
            "quantity": quantity,
            "capacity": capacity,
            "general": general,
            "email": email,
            "keep_until": keep_until_ms,
        }
        result = await self.scripts.waitlist_join(keys=keys, args=[dumps(payload)])
        code = int(result[0])
        if code == MIRROR_MISSING:
            raise MirrorMissing()
        if code == PLACES_FREE:
            raise PlacesFree(int(result[1]))
        if code == _JOINED:
            await self.redis.zadd(self.keys.waitlists(), {str(event_id): keep_until_ms}, gt=True)
        return ListEntry.parse(str(result[1]), int(result[2])), code == _JOINED

    async def mine(
        self, event_id: uuid.UUID, user_id: uuid.UUID, tiers: Sequence[str]
    ) -> list[ListEntry]:
        """The user's entries in the event's lists (one round trip)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(self.keys.waitlist_entries(event_id), [field(t, user_id) for t in tiers])
            for tier in tiers:
                pipe.zrank(self.keys.waitlist(event_id, tier), str(user_id))
            raw, *ranks = await pipe.execute()
        return [
            ListEntry.parse(found, rank + 1 if rank is not None else None)
            for found, rank in zip(raw, ranks, strict=True)
            if found is not None
        ]

    async def leave(self, event_id: uuid.UUID, user_id: uuid.UUID, tier: str) -> bool:
        keys = [
            self.keys.waitlist(event_id, tier),
            self.keys.waitlist_entries(event_id),
            self.keys.waitlist_offers(event_id),
        ]
        payload = {"user": str(user_id), "field": field(tier, user_id)}
        return int(await self.scripts.waitlist_leave(keys=keys, args=[dumps(payload)])) == 1

    # --- handing out returned places --------------------------------------------------------

    async def events(self, now_ms: int) -> list[uuid.UUID]:
        """Events with a waiting list (those whose lists outlived them are forgotten)."""
        index = self.keys.waitlists()
        await self.redis.zremrangebyscore(index, "-inf", now_ms)
        return [uuid.UUID(m) for m in cast(list[str], await self.redis.zrange(index, 0, -1))]

    async def lock(self, event_id: uuid.UUID, seconds: int) -> str | None:
        """This process's turn to hand out the event's places (None: another one has it)."""
        token = secrets.token_hex(8)
        taken = await self.redis.set(self.keys.waitlist_lock(event_id), token, nx=True, ex=seconds)
        return token if taken else None

    async def unlock(self, event_id: uuid.UUID, token: str) -> None:
        key = self.keys.waitlist_lock(event_id)
        if await self.redis.get(key) == token:  # lapsed and taken by another: theirs now
            await self.redis.delete(key)

    async def waiting(
        self, event_id: uuid.UUID, tier: str, start: int, count: int
    ) -> list[Waiting]:
        """``count`` people of the tier's line from ``start`` (0 = first), in line order."""
        users = cast(
            list[str],
            await self.redis.zrange(self.keys.waitlist(event_id, tier), start, start + count - 1),
        )
        if not users:
            return []
        names = [f"{tier}|{u}" for u in users]
        raw = await self.redis.hmget(self.keys.waitlist_entries(event_id), names)
        found = [(u, json.loads(r)) for u, r in zip(users, raw, strict=True) if r is not None]
        return [
            Waiting(uuid.UUID(u), int(e["quantity"]), str(e.get("email", ""))) for u, e in found
        ]

    async def open_offers(self, event_id: uuid.UUID) -> list[tuple[str, str]]:
        """``(entry, hold id)`` of every open offer."""
        names = cast(list[str], await self.redis.smembers(self.keys.waitlist_offers(event_id)))
        if not names:
            return []
        ordered = sorted(names)
        raw = await self.redis.hmget(self.keys.waitlist_entries(event_id), ordered)
        found = [(n, json.loads(r)) for n, r in zip(ordered, raw, strict=True) if r]
        return [(n, str(e.get("hold_id", ""))) for n, e in found]

    async def settle(self, event_id: uuid.UUID, entry: str, hold_id: str) -> bool:
        """The offer lapses if its hold is gone without a sale: True if it did."""
        keys = [
            self.keys.waitlist_entries(event_id),
            self.keys.waitlist_offers(event_id),
            self.keys.record(event_id, hold_id),
        ]
        payload = {"field": entry, "hold": hold_id}
        return int(await self.scripts.waitlist_settle(keys=keys, args=[dumps(payload)])) == 1
