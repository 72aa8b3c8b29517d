"""The event's facts in Redis: what a hold needs to know of the event, under a token.

``event:facts:{E}`` is a hash ``{token, data}``. It is written only by a loader holding the
shared inventory lock in PostgreSQL (so between reading PostgreSQL and writing here no change
can commit) and deleted — "fenced" — by every change of the event right after taking the
exclusive lock, before it changes anything. Hence while the key carries a token, PostgreSQL
still has the facts that token was loaded from. Hold scripts take the token the caller checked
the request against and refuse (``STALE``) unless it is still the current one: a process may
keep facts in memory and skip PostgreSQL entirely, yet never act on outdated ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast

from redis.asyncio import Redis

from event_service.holds.keys import Keys


@dataclass(frozen=True, slots=True)
class FactsStore:
    """The facts tokens of every event, in Redis (see the module doc)."""

    redis: Redis
    keys: Keys
    seconds: int  # how long facts stay in Redis at most (every change deletes them anyway)

    async def read(self, event_id: uuid.UUID) -> tuple[str, str] | None:
        """``(token, data)`` if the event's facts are in Redis."""
        token, data = cast(
            list[str | None], await self.redis.hmget(self.keys.facts(event_id), ["token", "data"])
        )
        if token is None or data is None:
            return None
        return token, data

    async def write(self, event_id: uuid.UUID, token: str, data: str) -> None:
        """Only under the shared inventory lock (see the module's doc)."""
        key = self.keys.facts(event_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"token": token, "data": data})
            pipe.expire(key, self.seconds)
            await pipe.execute()

    async def token(self, event_id: uuid.UUID) -> str | None:
        return cast(str | None, await self.redis.hget(self.keys.facts(event_id), "token"))

    async def fence(self, event_id: uuid.UUID) -> None:
        """Under the exclusive inventory lock, before changing the event: every token goes."""
        await self.redis.delete(self.keys.facts(event_id))
