"""The waiting rooms in Redis (``lua/room.lua``): join, read, leave and count, one round trip
each. No PostgreSQL and no process state: any replica answers for any room, a restart loses
nobody's place, and a flushed Redis reopens the rooms empty (their admissions stay signed
tokens, so nobody gets past a room without one)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from event_service.holds.keys import Keys
from event_service.holds.scripts import Scripts, dumps

_PARTS = ("line", "pre", "meta", "joined", "admitted", "active")


@dataclass(frozen=True, slots=True)
class RoomRules:
    """How a room admits: from ``start`` (the sales start, ms), ``rate`` a minute, at most
    ``max_active`` admissions live at once, each valid ``token_ms``; its keys live until
    ``expire_at`` (ms)."""

    start: int
    rate: int
    max_active: int | None
    token_ms: int
    expire_at: int


@dataclass(frozen=True, slots=True)
class RoomEntry:
    state: str  # prequeue, waiting or admitted
    position: int | None  # None until the pre-queue's draw
    ahead: int | None
    joined_ms: int
    admitted_until_ms: int | None


@dataclass(frozen=True, slots=True)
class RoomCount:
    prequeue: int
    waiting: int
    admitted: int


class WaitingRoomStore:
    def __init__(self, redis: Redis, keys: Keys, scripts: Scripts) -> None:
        self.redis = redis
        self.keys = keys
        self.scripts = scripts

    async def join(
        self, event_id: uuid.UUID, user_id: uuid.UUID, rules: RoomRules, now_ms: int
    ) -> tuple[RoomEntry, bool]:
        """The user's entry, and whether this call put them in line (else they were already)."""
        result = await self._call(event_id, "join", user_id, rules, now_ms)
        if result[0] == 1:
            await self.redis.sadd(self.keys.rooms(), str(event_id))
        return _entry(result[1:]), result[0] == 1

    async def read(
        self, event_id: uuid.UUID, user_id: uuid.UUID, rules: RoomRules, now_ms: int
    ) -> RoomEntry | None:
        result = await self._call(event_id, "read", user_id, rules, now_ms)
        return _entry(result[1:]) if result else None

    async def leave(self, event_id: uuid.UUID, user_id: uuid.UUID, now_ms: int) -> None:
        await self._call(event_id, "leave", user_id, None, now_ms)

    async def count(self, event_id: uuid.UUID, rules: RoomRules, now_ms: int) -> RoomCount:
        """Who is in the room now (handing out the admissions due first)."""
        prequeue, waiting, admitted = await self._call(event_id, "count", None, rules, now_ms)
        return RoomCount(int(prequeue), int(waiting), int(admitted))

    async def events(self) -> list[uuid.UUID]:
        """Events whose room someone joined (while their keys live)."""
        members = await self.redis.smembers(self.keys.rooms())
        return [uuid.UUID(m.decode() if isinstance(m, bytes) else m) for m in members]

    async def forget(self, event_ids: Sequence[uuid.UUID]) -> None:
        if event_ids:
            await self.redis.srem(self.keys.rooms(), *[str(e) for e in event_ids])

    async def _call(
        self,
        event_id: uuid.UUID,
        op: str,
        user_id: uuid.UUID | None,
        rules: RoomRules | None,
        now_ms: int,
    ) -> Any:
        params: dict[str, Any] = {"op": op, "user": str(user_id) if user_id else "", "now": now_ms}
        if rules is not None:
            params |= {
                "start": rules.start,
                "rate": rules.rate,
                "max_active": rules.max_active,
                "token_ms": rules.token_ms,
                "expire_at": rules.expire_at,
                "seed": secrets.randbelow(2_147_483_646) + 1,  # used only by the draw
            }
        else:
            params |= {"start": now_ms, "rate": 1, "token_ms": 0, "expire_at": now_ms, "seed": 1}
        keys = [self.keys.room(event_id, part) for part in _PARTS]
        return await self.scripts.room(keys=keys, args=[dumps(params)])


def _entry(values: Sequence[Any]) -> RoomEntry:
    state = values[0].decode() if isinstance(values[0], bytes) else str(values[0])
    position, ahead = int(values[1]), int(values[2])
    admitted = int(values[4])
    return RoomEntry(
        state=state,
        position=None if position < 0 else position,
        ahead=None if ahead < 0 else ahead,
        joined_ms=int(values[3]),
        admitted_until_ms=admitted or None,
    )


def ms_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
