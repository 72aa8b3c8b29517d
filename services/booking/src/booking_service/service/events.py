"""What booking learns of events from event's messages (inside the consumer's transaction)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import repository as repo


async def record_event(
    session: AsyncSession, *, event_id: uuid.UUID, organizer_id: uuid.UUID
) -> None:
    """Remember who organizes an event, so its sales answer its owner before anyone booked."""
    await repo.add_event_copy(session, event_id=event_id, organizer_id=organizer_id)
