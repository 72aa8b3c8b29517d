"""What every use case works with besides its database session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from event_service.cache import EventCache
from event_service.holds import HoldStore
from event_service.service.facts import FactsCache
from event_service.service.tx import rebuild_mirror
from event_service.settings import Settings


@dataclass(frozen=True, slots=True)
class Ctx:
    holds: HoldStore
    cache: EventCache
    settings: Settings
    facts: FactsCache
    # Hot reads and holds open a session only when they really need PostgreSQL.
    sessions: async_sessionmaker[AsyncSession]

    async def rebuild_mirror(self, event_id: uuid.UUID) -> None:
        """Redis lost the event's sold mirror: rebuild it from PostgreSQL (exclusive lock)."""
        async with self.sessions() as session:
            await rebuild_mirror(session, self.holds, event_id)
