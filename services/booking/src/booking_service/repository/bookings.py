"""The purchase's own statements: create, lock, move a booking (seats follow) and confirm it.

They are hand-written SQL on purpose: each is one round trip to PostgreSQL where the ORM took
three to seven (selectin loads, a unit-of-work flush per table), and a booking comes back as an
immutable :class:`BookingRow` read under its row lock — never an identity-map object that a
later statement could leave stale. Every state change stays a guarded ``UPDATE … WHERE status
= :current`` whose seats follow in the same statement, so the unique partial index on live
seats keeps the last word.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from booking_service.domain import ACTIVE_STATUSES, BookingStatus
from booking_service.metrics import ENTERED
from shared.db import count_on_commit, fetch_alone

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


@dataclass(frozen=True, slots=True)
class SeatRow:
    position: int
    seat_id: str | None
    tier: str
    price: int


@dataclass(frozen=True, slots=True)
class BookingRow:
    """A booking as the saga reads it (under its row lock), with its seats in order."""

    id: uuid.UUID
    user_id: uuid.UUID
    user_email: str
    buyer_name: str
    event_id: uuid.UUID
    organizer_id: uuid.UUID | None
    hold_id: str
    status: str
    amount: int
    currency: str
    expires_at: datetime
    event_title: str
    event_starts_at: datetime
    event_location: str
    payment_id: uuid.UUID | None
    seats: tuple[SeatRow, ...]


@dataclass(frozen=True, slots=True)
class TicketRow:
    id: uuid.UUID
    position: int
    seat_id: str | None
    tier: str
    price: int
    code: str


_LOCKED = """
SELECT b.id, b.user_id, b.user_email, b.buyer_name, b.event_id, b.organizer_id, b.hold_id,
       b.status, b.amount, b.currency, b.expires_at, b.event_title, b.event_starts_at,
       b.event_location, b.payment_id,
       ARRAY(SELECT ROW(s.position, s.seat_id, s.tier, s.price) FROM booked_seat AS s
             WHERE s.booking_id = b.id ORDER BY s.position) AS seats
FROM booking AS b
"""
_LOCK = text(_LOCKED + "WHERE b.id = :booking_id FOR UPDATE OF b")
_LOCK_OVERDUE = text(
    _LOCKED + "WHERE b.status = :pending AND b.expires_at <= :now "
    "ORDER BY b.expires_at LIMIT :limit FOR UPDATE OF b SKIP LOCKED"
)
_LOCK_ACTIVE_OF_EVENT = text(
    _LOCKED + "WHERE b.event_id = :event_id AND b.status = ANY(:active) "
    "ORDER BY b.created_at FOR UPDATE OF b"
)

_ADD = text("""
WITH new_booking AS (
    INSERT INTO booking (id, user_id, user_email, buyer_name, event_id, organizer_id, hold_id,
                         status, amount, currency, expires_at, event_title, event_starts_at,
                         event_location, created_at, updated_at)
    VALUES (:id, :user_id, :user_email, :buyer_name, :event_id, :organizer_id, :hold_id, :status,
            :amount, :currency, :expires_at, :event_title, :event_starts_at, :event_location,
            :now, :now)
    RETURNING id
)
INSERT INTO booked_seat (id, booking_id, event_id, position, seat_id, tier, price, status)
SELECT gen_random_uuid(), b.id, :event_id, s.position, s.seat_id, s.tier, s.price, :status
FROM new_booking AS b
CROSS JOIN unnest(CAST(:positions AS integer[]), CAST(:seat_ids AS varchar[]),
                  CAST(:tiers AS varchar[]), CAST(:prices AS bigint[]))
           AS s(position, seat_id, tier, price)
""")

_HOLD_BOOKED = text("SELECT id, user_id FROM booking WHERE hold_id = :hold_id")

# The seats follow their booking in the same statement (only pending/confirmed ones hold seats).
_MOVED = """
WITH moved AS (
    UPDATE booking SET {set}
    WHERE id = :booking_id AND status = :current
    RETURNING id
), seats AS (
    UPDATE booked_seat SET status = :target WHERE booking_id IN (SELECT id FROM moved)
){more}
SELECT count(*) FROM moved
"""
_TRANSITION = text(
    _MOVED.format(
        set="status = :target, updated_at = :now, "
        "payment_id = COALESCE(:payment_id, payment_id), "
        "cancel_reason = COALESCE(:cancel_reason, cancel_reason)",
        more="",
    )
)
_CONFIRM = text(
    _MOVED.format(
        set="status = :target, updated_at = :now, confirmed_at = :now, payment_id = :payment_id, "
        "hold_id = COALESCE(:hold_id, hold_id)",
        more="""
, tickets AS (
    INSERT INTO ticket (id, booking_id, position, seat_id, tier, price, code)
    SELECT t.id, m.id, t.position, t.seat_id, t.tier, t.price, t.code
    FROM moved AS m
    CROSS JOIN unnest(CAST(:ticket_ids AS uuid[]), CAST(:positions AS integer[]),
                      CAST(:seat_ids AS varchar[]), CAST(:tiers AS varchar[]),
                      CAST(:prices AS bigint[]), CAST(:codes AS text[]))
               AS t(id, position, seat_id, tier, price, code)
)""",
    )
)

_SET_PAYMENT_IF_UNSET = text(
    "UPDATE booking SET payment_id = :payment_id, updated_at = :now "
    "WHERE id = :booking_id AND payment_id IS NULL"
)
_TAKEN_SEATS = text(
    "SELECT seat_id FROM booked_seat WHERE event_id = :event_id AND seat_id = ANY(:seat_ids) "
    "AND status = ANY(:active) ORDER BY seat_id"
)


def _booking(row: Row[Any]) -> BookingRow:
    values = row._asdict()
    values["seats"] = tuple(SeatRow(*seat) for seat in values["seats"])
    return BookingRow(**values)


async def lock_booking(session: AsyncSession, booking_id: uuid.UUID) -> BookingRow | None:
    """The booking and its seats, row-locked until the transaction ends (``FOR UPDATE``)."""
    row = (await session.execute(_LOCK, {"booking_id": booking_id})).first()
    return None if row is None else _booking(row)


async def lock_overdue_bookings(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[BookingRow]:
    """Unpaid bookings past their deadline that no other transaction is working on."""
    params = {"pending": BookingStatus.PENDING_PAYMENT, "now": now, "limit": limit}
    return [_booking(row) for row in await session.execute(_LOCK_OVERDUE, params)]


async def lock_active_bookings_of_event(
    session: AsyncSession, event_id: uuid.UUID
) -> list[BookingRow]:
    params = {"event_id": event_id, "active": _ACTIVE}
    return [_booking(row) for row in await session.execute(_LOCK_ACTIVE_OF_EVENT, params)]


async def add_booking(session: AsyncSession, booking: BookingRow, *, now: datetime) -> None:
    """Insert the booking and its seats in one statement (``uq_booking_hold_id`` and the live
    seats' unique index refuse it as a whole)."""
    seats = booking.seats
    await session.execute(
        _ADD,
        {
            "id": booking.id,
            "user_id": booking.user_id,
            "user_email": booking.user_email,
            "buyer_name": booking.buyer_name,
            "event_id": booking.event_id,
            "organizer_id": booking.organizer_id,
            "hold_id": booking.hold_id,
            "status": booking.status,
            "amount": booking.amount,
            "currency": booking.currency,
            "expires_at": booking.expires_at,
            "event_title": booking.event_title,
            "event_starts_at": booking.event_starts_at,
            "event_location": booking.event_location,
            "now": now,
            "positions": [s.position for s in seats],
            "seat_ids": [s.seat_id for s in seats],
            "tiers": [s.tier for s in seats],
            "prices": [s.price for s in seats],
        },
    )
    count_on_commit(session, ENTERED[BookingStatus(booking.status)])


async def find_booking_of_hold(
    db: AsyncSession | AsyncEngine, hold_id: str
) -> tuple[uuid.UUID, uuid.UUID] | None:
    """``(booking id, its buyer)`` of the booking made from ``hold_id``, if any: in the
    session's transaction, or as a statement of its own on an engine of single statements."""
    params = {"hold_id": hold_id}
    if isinstance(db, AsyncEngine):
        row = await fetch_alone(db, _HOLD_BOOKED, params)
    else:
        row = (await db.execute(_HOLD_BOOKED, params)).first()
    return None if row is None else (row.id, row.user_id)


async def transition(
    session: AsyncSession,
    booking_id: uuid.UUID,
    *,
    current: BookingStatus,
    target: BookingStatus,
    now: datetime,
    payment_id: uuid.UUID | None = None,
    cancel_reason: str | None = None,
) -> bool:
    """Guarded ``UPDATE … WHERE status = current``; seats follow. False if it had moved on.
    ``payment_id`` and ``cancel_reason`` are set when given (None leaves them as they are)."""
    params = {
        "booking_id": booking_id,
        "current": current,
        "target": target,
        "now": now,
        "payment_id": payment_id,
        "cancel_reason": cancel_reason,
    }
    moved = bool((await session.execute(_TRANSITION, params)).scalar_one())
    if moved:
        count_on_commit(session, ENTERED[target])
    return moved


async def confirm(
    session: AsyncSession,
    booking_id: uuid.UUID,
    *,
    current: BookingStatus,
    payment_id: uuid.UUID,
    now: datetime,
    tickets: Sequence[TicketRow],
    hold_id: str | None = None,
) -> bool:
    """Guarded move to ``confirmed`` with its seats, and its tickets inserted, in one statement;
    False (and no tickets) if the booking had moved on. ``hold_id`` replaces the booking's."""
    params = {
        "booking_id": booking_id,
        "current": current,
        "target": BookingStatus.CONFIRMED,
        "now": now,
        "payment_id": payment_id,
        "hold_id": hold_id,
        "ticket_ids": [t.id for t in tickets],
        "positions": [t.position for t in tickets],
        "seat_ids": [t.seat_id for t in tickets],
        "tiers": [t.tier for t in tickets],
        "prices": [t.price for t in tickets],
        "codes": [t.code for t in tickets],
    }
    confirmed = bool((await session.execute(_CONFIRM, params)).scalar_one())
    if confirmed:
        count_on_commit(session, ENTERED[BookingStatus.CONFIRMED])
    return confirmed


async def set_payment_if_unset(
    session: AsyncSession, booking_id: uuid.UUID, *, payment_id: uuid.UUID, now: datetime
) -> None:
    params = {"booking_id": booking_id, "payment_id": payment_id, "now": now}
    await session.execute(_SET_PAYMENT_IF_UNSET, params)


async def list_taken_seats(
    session: AsyncSession, *, event_id: uuid.UUID, seat_ids: Iterable[str]
) -> list[str]:
    """Which of ``seat_ids`` a live booking of ``event_id`` holds."""
    params = {"event_id": event_id, "seat_ids": list(seat_ids), "active": _ACTIVE}
    return [row.seat_id for row in await session.execute(_TAKEN_SEATS, params)]


# seats in two live bookings (the live seats' unique index must make this impossible)
_DOUBLE_BOOKED = text(
    "SELECT count(*) FROM (SELECT 1 FROM booked_seat "
    "WHERE status = ANY(:active) AND seat_id IS NOT NULL "
    "GROUP BY event_id, seat_id HAVING count(*) > 1) twice"
)


async def count_double_booked(session: AsyncSession) -> int:
    """Seats in two live bookings, over every event: must be 0."""
    return int((await session.execute(_DOUBLE_BOOKED, {"active": _ACTIVE})).scalar_one())
