"""Messages published by event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.contracts.base import Contract


class EventCreatedV1(Contract):
    """A draft was created (auth's audit log records who did it)."""

    TYPE = "event.created"
    event_id: UUID
    organizer_id: UUID
    actor_id: UUID
    title: str


class EventPublishedV1(Contract):
    TYPE = "event.published"
    event_id: UUID
    organizer_id: UUID
    title: str
    starts_at: datetime
    currency: str
    actor_id: UUID | None = None


class EventCancelledV1(Contract):
    TYPE = "event.cancelled"
    event_id: UUID
    organizer_id: UUID
    title: str
    reason: str | None = None
    actor_id: UUID | None = None


class EventDeletedV1(Contract):
    """An event was soft-deleted (nothing was sold; auth's audit log records who did it)."""

    TYPE = "event.deleted"
    event_id: UUID
    organizer_id: UUID
    actor_id: UUID
    title: str
