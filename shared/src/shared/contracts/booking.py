"""Messages published by booking."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import Contract, InternalBody


class BookedSeat(BaseModel):
    """One place in a booking: a reserved seat (``seat_id``) or a general-admission place."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    seat_id: str | None
    tier: str
    price: int


class IssuedTicket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    ticket_id: UUID
    seat_id: str | None
    tier: str
    price: int
    code: str


class EventSummary(BaseModel):
    """What a ticket needs to say about the show (booking keeps it from the hold claim)."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    title: str
    starts_at: datetime
    location: str


class BookingCreatedV1(Contract):
    TYPE = "booking.created"
    booking_id: UUID
    hold_id: str
    user_id: UUID
    event_id: UUID
    amount: int
    currency: str
    seats: list[BookedSeat]
    expires_at: datetime


class BookingConfirmedV1(Contract):
    TYPE = "booking.confirmed"
    booking_id: UUID
    hold_id: str
    user_id: UUID
    user_email: str
    event_id: UUID
    event: EventSummary
    amount: int
    currency: str
    seats: list[BookedSeat]
    tickets: list[IssuedTicket]
    payment_id: UUID
    # the event's organizer (for organizers' webhooks); absent in messages of before
    organizer_id: UUID | None = None


class BookingCancelledV1(Contract):
    TYPE = "booking.cancelled"
    booking_id: UUID
    hold_id: str
    user_id: UUID
    user_email: str
    event_id: UUID
    seats: list[BookedSeat]
    reason: str
    was_confirmed: bool
    payment_id: UUID | None = None
    # the event's organizer (for organizers' webhooks); absent in messages of before
    organizer_id: UUID | None = None


class BookingExpiredV1(Contract):
    TYPE = "booking.expired"
    booking_id: UUID
    hold_id: str
    user_id: UUID
    user_email: str
    event_id: UUID
    seats: list[BookedSeat]
    # the event's organizer (for organizers' webhooks); absent in messages of before
    organizer_id: UUID | None = None


class TicketCheckedInV1(Contract):
    """A ticket was let in at the gate (once; organizers' systems hear it by webhook)."""

    TYPE = "ticket.checked_in"
    ticket_id: UUID
    booking_id: UUID
    event_id: UUID
    organizer_id: UUID
    user_id: UUID
    seat_id: str | None
    tier: str
    checked_in_at: datetime
    actor_id: UUID  # who scanned it: the organizer or an admin


# --- booking's internal HTTP API (called by payment) -----------------------------------------


class BookingSnapshotV1(InternalBody):
    """``GET /internal/bookings/{id}``: what payment needs to charge a booking whose
    ``booking.created`` has not reached it yet."""

    id: UUID
    user_id: UUID
    event_id: UUID
    status: str
    amount: int
    currency: str
    expires_at: datetime
