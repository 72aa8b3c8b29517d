"""Queries over booking's tables (run inside the caller's transaction)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking_service.domain import ACTIVE_STATUSES, BookingStatus
from booking_service.orm import BookedSeat, Booking

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


async def get_booking(session: AsyncSession, booking_id: uuid.UUID) -> Booking | None:
    return await session.get(Booking, booking_id)


async def get_booking_by_hold(session: AsyncSession, hold_id: str) -> Booking | None:
    result = await session.execute(select(Booking).where(Booking.hold_id == hold_id))
    return result.scalar_one_or_none()


async def lock_booking(session: AsyncSession, booking_id: uuid.UUID) -> Booking | None:
    """The booking, row-locked until the transaction ends (``SELECT … FOR UPDATE``)."""
    result = await session.execute(
        select(Booking)
        .where(Booking.id == booking_id)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def lock_overdue_bookings(
    session: AsyncSession, *, now: datetime, limit: int
) -> Sequence[Booking]:
    """Unpaid bookings past their deadline that no other transaction is working on."""
    result = await session.execute(
        select(Booking)
        .where(Booking.status == BookingStatus.PENDING_PAYMENT, Booking.expires_at <= now)
        .order_by(Booking.expires_at)
        .limit(limit)
        .with_for_update(of=Booking, skip_locked=True)
    )
    return result.scalars().all()


async def lock_active_bookings_of_event(
    session: AsyncSession, event_id: uuid.UUID
) -> Sequence[Booking]:
    result = await session.execute(
        select(Booking)
        .where(Booking.event_id == event_id, Booking.status.in_(_ACTIVE))
        .order_by(Booking.created_at)
        .with_for_update(of=Booking)
        .execution_options(populate_existing=True)
    )
    return result.scalars().all()


def bookings_of_user(user_id: uuid.UUID, *, status: BookingStatus | None) -> Select[Any]:
    """The user's bookings, newest first (for pagination)."""
    stmt = select(Booking).where(Booking.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Booking.status == status)
    return stmt.order_by(Booking.created_at.desc(), Booking.id.desc())


async def list_taken_seats(
    session: AsyncSession, *, event_id: uuid.UUID, seat_ids: Iterable[str]
) -> list[str]:
    """Which of ``seat_ids`` a live booking of ``event_id`` holds."""
    result = await session.execute(
        select(BookedSeat.seat_id)
        .where(
            BookedSeat.event_id == event_id,
            BookedSeat.seat_id.in_(list(seat_ids)),
            BookedSeat.status.in_(_ACTIVE),
        )
        .order_by(BookedSeat.seat_id)
    )
    return [seat for seat in result.scalars().all() if seat is not None]


async def transition(
    session: AsyncSession,
    booking_id: uuid.UUID,
    *,
    current: BookingStatus,
    target: BookingStatus,
    **values: Any,
) -> bool:
    """Guarded ``UPDATE … WHERE status = current``; seats follow. False if it had moved on."""
    result = await session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.status == current)
        .values(status=target, **values)
        .returning(Booking.id)
    )
    if result.first() is None:
        return False
    await session.execute(
        update(BookedSeat).where(BookedSeat.booking_id == booking_id).values(status=target)
    )
    return True


async def set_payment_if_unset(
    session: AsyncSession, booking_id: uuid.UUID, *, payment_id: uuid.UUID, now: datetime
) -> bool:
    result = await session.execute(
        update(Booking)
        .where(Booking.id == booking_id, Booking.payment_id.is_(None))
        .values(payment_id=payment_id, updated_at=now)
        .returning(Booking.id)
    )
    return result.first() is not None
