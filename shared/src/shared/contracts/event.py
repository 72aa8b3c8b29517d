"""Messages published by event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.contracts.base import Contract


class EventPublishedV1(Contract):
    TYPE = "event.published"
    event_id: UUID
    organizer_id: UUID
    title: str
    starts_at: datetime
    currency: str


class EventCancelledV1(Contract):
    TYPE = "event.cancelled"
    event_id: UUID
    organizer_id: UUID
    title: str
    reason: str | None = None
