"""The read cache of the catalog: static parts of events and listing pages, in Redis and in
this process's memory.

Only what changes with an organizer's write is cached (title, times, tiers, prices, capacity,
the ids of a listing page). Availability changes with every hold, so it is never cached: each
answer overlays live counts from one snapshot script (``SoldMirror.snapshots``).

Invalidation is by version: every cache key carries the catalog version, and every committed
change to an event replaces it. The version is a random token, never a counter: if Redis loses
it, the next one is new, so nothing cached under an old one can ever look current again. A
reader that read PostgreSQL before a change committed can only write under the old version,
which nobody reads any more — so a stale entry is never served after the change (and entries
expire after ``EVENT_CACHE_SECONDS`` anyway).

Memory holds the entries of the last version this process saw, and is used only after the
version was read (in the same Redis round trip as the live counts): a hot read costs one round
trip, and the moment another version is seen, memory is emptied.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

from redis.asyncio import Redis

from event_service.holds.keys import Keys

_MEMORY_PAGES = 1024
_MEMORY_EVENTS = 4096


class EventCache:
    def __init__(self, redis: Redis, keys: Keys, *, ttl_seconds: int) -> None:
        self.redis = redis
        self.keys = keys
        self.ttl = ttl_seconds
        self._seen: str | None = None  # the version the memory below belongs to
        self._statics: dict[uuid.UUID, Any] = {}
        self._pages: dict[str, dict[str, Any]] = {}

    @property
    def version_key(self) -> str:
        return self.keys.catalog_version()

    async def version(self) -> str:
        value = cast(str | None, await self.redis.get(self.version_key))
        if value is None:  # never set, or Redis lost it: start a new one (no race: SET NX)
            fresh = uuid.uuid4().hex
            old = cast(str | None, await self.redis.set(self.version_key, fresh, nx=True, get=True))
            value = old if old is not None else fresh
        self.observe(value)
        return value

    async def invalidate(self) -> None:
        """After a committed change to any event: every cached entry is out of date."""
        await self.redis.set(self.version_key, uuid.uuid4().hex)

    # --- memory -------------------------------------------------------------------------------

    def observe(self, version: str | None) -> bool:
        """Note the version just read; False (and memory emptied) if it is not the one memory
        belongs to."""
        if version is not None and version == self._seen:
            return True
        self._statics.clear()
        self._pages.clear()
        self._seen = version
        return False

    def remembered(self, event_id: uuid.UUID) -> Any:
        return self._statics.get(event_id)

    def remember(self, version: str, event_id: uuid.UUID, value: Any) -> None:
        if version == self._seen and len(self._statics) < _MEMORY_EVENTS:
            self._statics[event_id] = value

    def remembered_page(self, digest: str) -> dict[str, Any] | None:
        return self._pages.get(digest)

    def remember_page(self, version: str, digest: str, page: dict[str, Any]) -> None:
        if version == self._seen and len(self._pages) < _MEMORY_PAGES:
            self._pages[digest] = page

    # --- Redis --------------------------------------------------------------------------------

    async def get_statics(
        self, event_ids: Sequence[uuid.UUID], version: str
    ) -> dict[uuid.UUID, dict[str, Any]]:
        if not event_ids:
            return {}
        async with self.redis.pipeline(transaction=False) as pipe:  # one slot per event: no MGET
            for event_id in event_ids:
                pipe.get(self.keys.static(event_id, version))
            values = await pipe.execute()
        return {e: json.loads(v) for e, v in zip(event_ids, values, strict=True) if v is not None}

    async def put_statics(self, statics: dict[uuid.UUID, str], version: str) -> None:
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

    async def get_listing(self, version: str, digest: str) -> dict[str, Any] | None:
        value = await self.redis.get(self.keys.listing(version, digest))
        return cast(dict[str, Any], json.loads(value)) if value is not None else None

    async def put_listing(self, version: str, digest: str, page: dict[str, Any]) -> None:
        await self.redis.set(self.keys.listing(version, digest), json.dumps(page), ex=self.ttl)
