"""The messages booking publishes, built from a booking read under its lock (or just made)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from booking_service.orm import Booking, Ticket
from booking_service.repository import BookingRow, TicketRow
from shared.contracts.booking import BookedSeat as BookedSeatData
from shared.contracts.booking import (
    BookingCancelledV1,
    BookingConfirmedV1,
    BookingCreatedV1,
    BookingExpiredV1,
    EventSummary,
    IssuedTicket,
    TicketCheckedInV1,
)


def seats_of(booking: BookingRow) -> list[BookedSeatData]:
    return [BookedSeatData(seat_id=s.seat_id, tier=s.tier, price=s.price) for s in booking.seats]


def created_message(booking: BookingRow) -> BookingCreatedV1:
    return BookingCreatedV1(
        booking_id=booking.id,
        hold_id=booking.hold_id,
        user_id=booking.user_id,
        event_id=booking.event_id,
        amount=booking.amount,
        currency=booking.currency,
        seats=seats_of(booking),
        expires_at=booking.expires_at,
    )


def cancelled_message(
    booking: BookingRow,
    *,
    reason: str,
    was_confirmed: bool,
    payment_id: uuid.UUID | None,
    with_seats: bool = True,
    hold_id: str | None = None,
) -> BookingCancelledV1:
    return BookingCancelledV1(
        booking_id=booking.id,
        hold_id=hold_id or booking.hold_id,
        user_id=booking.user_id,
        user_email=booking.user_email,
        event_id=booking.event_id,
        seats=seats_of(booking) if with_seats else [],
        reason=reason,
        was_confirmed=was_confirmed,
        payment_id=payment_id,
        organizer_id=booking.organizer_id,
    )


def expired_message(booking: BookingRow) -> BookingExpiredV1:
    return BookingExpiredV1(
        booking_id=booking.id,
        hold_id=booking.hold_id,
        user_id=booking.user_id,
        user_email=booking.user_email,
        event_id=booking.event_id,
        seats=seats_of(booking),
        organizer_id=booking.organizer_id,
    )


def confirmed_message(
    booking: BookingRow,
    *,
    tickets: Sequence[TicketRow],
    payment_id: uuid.UUID,
    hold_id: str | None = None,
) -> BookingConfirmedV1:
    return BookingConfirmedV1(
        booking_id=booking.id,
        hold_id=hold_id or booking.hold_id,
        user_id=booking.user_id,
        user_email=booking.user_email,
        event_id=booking.event_id,
        event=EventSummary(
            title=booking.event_title,
            starts_at=booking.event_starts_at,
            location=booking.event_location,
        ),
        amount=booking.amount,
        currency=booking.currency,
        seats=seats_of(booking),
        tickets=[
            IssuedTicket(ticket_id=t.id, seat_id=t.seat_id, tier=t.tier, price=t.price, code=t.code)
            for t in tickets
        ],
        payment_id=payment_id,
        organizer_id=booking.organizer_id,
    )


def checked_in_message(
    booking: Booking,
    ticket: Ticket,
    *,
    organizer_id: uuid.UUID,
    checked_in_at: datetime,
    actor_id: uuid.UUID,
) -> TicketCheckedInV1:
    """``ticket.checked_in``: ``user_id`` is the buyer, ``actor_id`` who scanned the code."""
    return TicketCheckedInV1(
        ticket_id=ticket.id,
        booking_id=booking.id,
        event_id=booking.event_id,
        organizer_id=organizer_id,
        user_id=booking.user_id,
        seat_id=ticket.seat_id,
        tier=ticket.tier,
        checked_in_at=checked_in_at,
        actor_id=actor_id,
    )
