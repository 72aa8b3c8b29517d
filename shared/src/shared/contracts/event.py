"""Messages published by event."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from shared.contracts.base import Contract, InternalBody


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


class WaitlistOfferedV1(Contract):
    """Places came back and are held for someone on a waiting list until ``expires_at``: they
    book them with ``POST /api/bookings {hold_id}`` (notification emails them)."""

    TYPE = "waitlist.offered"
    event_id: UUID
    user_id: UUID
    user_email: str | None = None
    title: str
    starts_at: datetime
    tier: str
    quantity: int
    hold_id: str
    expires_at: datetime


# --- event's internal HTTP API (called by booking) -------------------------------------------


class HoldClaimRequestV1(InternalBody):
    """``POST /internal/holds/{hold_id}/claim``: booking takes the buyer's hold over."""

    user_id: UUID
    extend_seconds: int = 900


class RetakeSeatV1(InternalBody):
    seat_id: str | None = None
    tier: str


class HoldRetakeRequestV1(InternalBody):
    """``POST /internal/holds/retake``: the same places again for a booking paid after it
    expired. ``hold_id``: the booking's earlier hold, whose places are not counted twice."""

    event_id: UUID
    user_id: UUID
    seats: list[RetakeSeatV1]
    ttl_seconds: int = 900
    hold_id: str | None = None


class HeldSeatV1(InternalBody):
    seat_id: str | None
    tier: str
    price: int


class ClaimedEventV1(InternalBody):
    title: str
    starts_at: datetime
    location: str
    organizer_id: UUID


class HoldClaimedV1(InternalBody):
    """Event's answer to a claim or a re-take: the hold, now the booking's."""

    hold_id: str
    event_id: UUID
    user_id: UUID
    seats: list[HeldSeatV1]
    tier: str | None = None
    quantity: int
    amount: int
    currency: str
    expires_at: datetime
    event: ClaimedEventV1
