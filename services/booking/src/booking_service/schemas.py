"""HTTP shapes of the booking API."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from booking_service.domain import BookingStatus
from booking_service.orm import Booking
from shared.types import Input, SingleLine

# Hold ids go into the path of event's internal claim URL: keep them to URL-safe characters.
HOLD_ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"


class BookingCreate(Input):
    hold_id: SingleLine = Field(
        pattern=HOLD_ID_PATTERN, examples=["0b7f3c1e-5a4e-4b7d-9a51-3f0c2f3f6f11"]
    )


class SeatRead(BaseModel):
    seat_id: str | None = Field(description="null for a general-admission place")
    tier: str
    price: int


class EventRead(BaseModel):
    title: str
    starts_at: datetime
    location: str


class TicketRead(BaseModel):
    ticket_id: uuid.UUID
    seat_id: str | None
    tier: str
    price: int
    code: str
    checked_in_at: datetime | None


class BookingRead(BaseModel):
    id: uuid.UUID
    status: BookingStatus
    event_id: uuid.UUID
    organizer_id: uuid.UUID | None
    hold_id: str
    user_id: uuid.UUID
    seats: list[SeatRead]
    amount: int
    currency: str
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    payment_id: uuid.UUID | None
    cancel_reason: str | None
    event: EventRead

    @classmethod
    def of(cls, booking: Booking) -> BookingRead:
        return cls.model_validate(_common(booking))


class BookingDetail(BookingRead):
    """One booking; ``tickets`` are listed while it is confirmed. (PostgreSQL writes this body:
    ``repository.views``.)"""

    tickets: list[TicketRead]


def _common(booking: Booking) -> dict[str, object]:
    return {
        "id": booking.id,
        "status": BookingStatus(booking.status),
        "event_id": booking.event_id,
        "organizer_id": booking.organizer_id,
        "hold_id": booking.hold_id,
        "user_id": booking.user_id,
        "seats": [SeatRead(seat_id=s.seat_id, tier=s.tier, price=s.price) for s in booking.seats],
        "amount": booking.amount,
        "currency": booking.currency,
        "expires_at": booking.expires_at,
        "created_at": booking.created_at,
        "updated_at": booking.updated_at,
        "confirmed_at": booking.confirmed_at,
        "payment_id": booking.payment_id,
        "cancel_reason": booking.cancel_reason,
        "event": EventRead(
            title=booking.event_title,
            starts_at=booking.event_starts_at,
            location=booking.event_location,
        ),
    }


# --- check-in -------------------------------------------------------------------------------


class CheckIn(Input):
    code: SingleLine = Field(
        min_length=1, max_length=1024, description="The ticket code (QR payload)."
    )


class CheckInRead(BaseModel):
    ticket_id: uuid.UUID
    booking_id: uuid.UUID
    event_id: uuid.UUID
    seat_id: str | None
    tier: str
    checked_in_at: datetime


# --- sales ----------------------------------------------------------------------------------


class TierSales(BaseModel):
    tier: str
    sold: int
    revenue: int


class EventSales(BaseModel):
    """One event: confirmed places and revenue (minor units), and bookings per status."""

    event_id: uuid.UUID
    currency: str | None = Field(description="null while nothing is sold")
    tickets_sold: int
    revenue: int
    by_tier: list[TierSales]
    bookings_by_status: dict[str, int]


class EventSalesRow(BaseModel):
    event_id: uuid.UUID
    title: str
    currency: str
    tickets_sold: int
    revenue: int
    confirmed_bookings: int


class SalesTotal(BaseModel):
    currency: str
    tickets_sold: int = 0
    revenue: int = 0


class SalesOverview(BaseModel):
    """One row per event with bookings, and totals per currency."""

    events: list[EventSalesRow]
    totals: list[SalesTotal]


class TicketKeys(BaseModel):
    """The public keys that verify ticket codes (a JWKS of OKP/Ed25519 keys)."""

    keys: list[dict[str, str]]
