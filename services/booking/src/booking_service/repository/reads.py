"""Reads for listings, sales and check-in, through the ORM (run inside the caller's transaction).

None of these is on the purchase's hot path; those are statements of their own in ``bookings``
and ``views``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service.domain import BookingStatus
from booking_service.orm import BookedSeat, Booking, EventCopy, Ticket


async def lock_booking_for_share(session: AsyncSession, booking_id: uuid.UUID) -> Booking | None:
    """The booking, share-locked: it cannot change state (cancel, refund) until we commit."""
    result = await session.execute(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update(of=Booking, read=True)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


def bookings_of_user(user_id: uuid.UUID, *, status: BookingStatus | None) -> Select[Any]:
    """The user's bookings, newest first (for pagination)."""
    return all_bookings(user_id=user_id, status=status)


def all_bookings(
    *,
    user_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    status: BookingStatus | None = None,
) -> Select[Any]:
    """Bookings matching every given filter, newest first (for pagination)."""
    stmt = select(Booking)
    if user_id is not None:
        stmt = stmt.where(Booking.user_id == user_id)
    if event_id is not None:
        stmt = stmt.where(Booking.event_id == event_id)
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    return stmt.order_by(Booking.created_at.desc(), Booking.id.desc())


async def list_organizers_of_event(session: AsyncSession, event_id: uuid.UUID) -> list[uuid.UUID]:
    """The organizer ids the event's bookings carry (one, unless rows predate organizer ids)."""
    result = await session.execute(
        select(Booking.organizer_id)
        .where(Booking.event_id == event_id, Booking.organizer_id.is_not(None))
        .distinct()
    )
    return [row for row in result.scalars().all() if row is not None]


async def any_booking_of_event(session: AsyncSession, event_id: uuid.UUID) -> bool:
    result = await session.execute(select(exists().where(Booking.event_id == event_id)))
    return bool(result.scalar())


AttendeesSelect = Select[uuid.UUID, uuid.UUID, str | None, str, int, str, str, str, datetime | None]


def attendees_of_event(event_id: uuid.UUID) -> AttendeesSelect:
    """One row per ticket of the event's confirmed bookings, in a stable order (booking made,
    then seat order): ``(ticket_id, booking_id, seat_id, tier, price, currency, buyer_name,
    buyer_email, checked_in_at)``. Streamed by ``service.attendees``."""
    return (
        select(
            Ticket.id,
            Ticket.booking_id,
            Ticket.seat_id,
            Ticket.tier,
            Ticket.price,
            Booking.currency,
            Booking.buyer_name,
            Booking.user_email,
            Ticket.checked_in_at,
        )
        .join(Booking, Booking.id == Ticket.booking_id)
        .where(Booking.event_id == event_id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.created_at, Booking.id, Ticket.position)
    )


async def count_bookings_by_status(session: AsyncSession, event_id: uuid.UUID) -> dict[str, int]:
    result = await session.execute(
        select(Booking.status, func.count())
        .where(Booking.event_id == event_id)
        .group_by(Booking.status)
    )
    return {status: int(count) for status, count in result.all()}


async def list_sold_by_tier(
    session: AsyncSession, event_id: uuid.UUID
) -> list[tuple[str, str, int, int]]:
    """``(currency, tier, places sold, revenue)`` over the event's confirmed bookings."""
    result = await session.execute(
        select(Booking.currency, BookedSeat.tier, func.count(), func.sum(BookedSeat.price))
        .join(BookedSeat, BookedSeat.booking_id == Booking.id)
        .where(Booking.event_id == event_id, Booking.status == BookingStatus.CONFIRMED)
        .group_by(Booking.currency, BookedSeat.tier)
        .order_by(BookedSeat.tier)
    )
    return [(c, t, int(n), int(r or 0)) for c, t, n, r in result.all()]


async def list_event_sales(
    session: AsyncSession, *, organizer_id: uuid.UUID | None
) -> list[tuple[uuid.UUID, str, str, int, int, int]]:
    """Per event (of ``organizer_id``, or all): ``(event_id, title, currency, tickets sold,
    revenue, confirmed bookings)``, counting confirmed bookings only."""
    confirmed = Booking.status == BookingStatus.CONFIRMED
    seats = (
        select(BookedSeat.booking_id, func.count().label("places"))
        .group_by(BookedSeat.booking_id)
        .subquery()
    )
    stmt = (
        select(
            Booking.event_id,
            func.max(Booking.event_title),
            func.max(Booking.currency),
            func.coalesce(func.sum(seats.c.places).filter(confirmed), 0),
            func.coalesce(func.sum(Booking.amount).filter(confirmed), 0),
            func.count().filter(confirmed),
        )
        .join(seats, seats.c.booking_id == Booking.id)
        .group_by(Booking.event_id)
        .order_by(func.max(Booking.event_starts_at), Booking.event_id)
    )
    if organizer_id is not None:
        stmt = stmt.where(Booking.organizer_id == organizer_id)
    result = await session.execute(stmt)
    return [(e, t, c, int(n), int(r), int(b)) for e, t, c, n, r, b in result.all()]


async def get_ticket(session: AsyncSession, ticket_id: uuid.UUID) -> Ticket | None:
    return await session.get(Ticket, ticket_id)


async def check_in_ticket(
    session: AsyncSession, ticket_id: uuid.UUID, *, now: datetime
) -> datetime | None:
    """Mark the ticket used, at most once (``WHERE checked_in_at IS NULL``); None if it was."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.checked_in_at.is_(None))
        .values(checked_in_at=now)
        .returning(Ticket.checked_in_at)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def get_checked_in_at(session: AsyncSession, ticket_id: uuid.UUID) -> datetime | None:
    result = await session.execute(
        select(Ticket.checked_in_at)
        .where(Ticket.id == ticket_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def any_ticket_checked_in(session: AsyncSession, booking_id: uuid.UUID) -> bool:
    """Whether a ticket of the booking was used at the gate (read fresh, not from the session's
    identity map: a check-in that committed while we waited for the booking lock counts)."""
    result = await session.execute(
        select(exists().where(Ticket.booking_id == booking_id, Ticket.checked_in_at.is_not(None)))
    )
    return bool(result.scalar())


async def add_event_copy(
    session: AsyncSession, *, event_id: uuid.UUID, organizer_id: uuid.UUID
) -> None:
    """Remember an event's organizer; a repeated message changes nothing (it never changes)."""
    await session.execute(
        insert(EventCopy)
        .values(event_id=event_id, organizer_id=organizer_id)
        .on_conflict_do_nothing(index_elements=[EventCopy.event_id])
    )


async def get_event_organizer(session: AsyncSession, event_id: uuid.UUID) -> uuid.UUID | None:
    result = await session.execute(
        select(EventCopy.organizer_id).where(EventCopy.event_id == event_id)
    )
    return result.scalar_one_or_none()
