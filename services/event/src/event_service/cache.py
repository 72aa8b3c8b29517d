"""The read cache of the catalog: static parts of events and listing pages, in Redis.

Only what changes with an organizer's write is cached (title, times, tiers, prices, capacity,
the ids of a listing page). Availability changes with every hold, so it is never cached: each
answer overlays live counts from one snapshot script (``holds.Ledger.snapshots``).

Invalidation is by version: every cache key carries the catalog version, and every committed
change to an event bumps it. A reader that read PostgreSQL before a change committed can only
write under the old version, which nobody reads any more — so a stale entry is never served
after the change (and entries expire after ``EVENT_CACHE_SECONDS`` anyway).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

from redis.asyncio import Redis

from event_service.holds.keys import Keys
from event_service.settings import Settings


class EventCache:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis = redis
        self.keys = Keys(settings)
        self.ttl = settings.EVENT_CACHE_SECONDS

    async def version(self) -> int:
        value = await self.redis.get(self.keys.catalog_version())
        return int(value) if value is not None else 0

    async def invalidate(self) -> None:
        """After a committed change to any event: every cached entry is out of date."""
        await self.redis.incr(self.keys.catalog_version())

    async def get_statics(
        self, event_ids: Sequence[uuid.UUID], version: int
    ) -> dict[uuid.UUID, dict[str, Any]]:
        if not event_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id in event_ids:
                pipe.get(self.keys.static(event_id, version))
            values = await pipe.execute()
        return {e: json.loads(v) for e, v in zip(event_ids, values, strict=True) if v is not None}

    async def put_statics(self, statics: dict[uuid.UUID, str], version: int) -> None:
        if not statics:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for event_id, payload in statics.items():
                pipe.set(self.keys.static(event_id, version), payload, ex=self.ttl)
            await pipe.execute()

    @staticmethod
    def digest(query: dict[str, Any]) -> str:
        return hashlib.blake2b(
            json.dumps(query, sort_keys=True, default=str).encode(), digest_size=16
        ).hexdigest()

    async def get_listing(self, version: int, digest: str) -> dict[str, Any] | None:
        value = await self.redis.get(self.keys.listing(version, digest))
        return cast(dict[str, Any], json.loads(value)) if value is not None else None

    async def put_listing(self, version: int, digest: str, page: dict[str, Any]) -> None:
        await self.redis.set(self.keys.listing(version, digest), json.dumps(page), ex=self.ttl)
