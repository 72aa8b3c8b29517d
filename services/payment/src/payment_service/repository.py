"""Queries of the payment database: get_ / list_ / add_ / lock_ functions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service.domain import LIVE_STATUSES, BookingStatus, PaymentStatus
from payment_service.orm import BookingCopy, Payment
from shared.db import utcnow


async def get_booking_copy(session: AsyncSession, booking_id: uuid.UUID) -> BookingCopy | None:
    return await session.get(BookingCopy, booking_id)


async def lock_booking_copy(session: AsyncSession, booking_id: uuid.UUID) -> BookingCopy | None:
    stmt = select(BookingCopy).where(BookingCopy.booking_id == booking_id).with_for_update()
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def add_booking_copy(
    session: AsyncSession,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    amount: int,
    currency: str,
    status: str,
    expires_at: datetime | None,
) -> None:
    """Insert the copy, or fill in a cancelled tombstone's price; never revive a cancellation."""
    stmt = insert(BookingCopy).values(
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        amount=amount,
        currency=currency,
        status=status,
        expires_at=expires_at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[BookingCopy.booking_id],
        set_={
            "amount": stmt.excluded.amount,
            "currency": stmt.excluded.currency,
            "expires_at": stmt.excluded.expires_at,
            "updated_at": utcnow(),
        },
        where=BookingCopy.amount.is_(None),
    )
    await session.execute(stmt)


async def cancel_booking_copy(
    session: AsyncSession, *, booking_id: uuid.UUID, user_id: uuid.UUID, event_id: uuid.UUID
) -> None:
    """Mark the copy cancelled (a tombstone if booking.created has not arrived yet)."""
    stmt = insert(BookingCopy).values(
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        status=BookingStatus.CANCELLED,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[BookingCopy.booking_id],
        set_={"status": BookingStatus.CANCELLED, "updated_at": utcnow()},
        where=BookingCopy.status == BookingStatus.PENDING_PAYMENT,
    )
    await session.execute(stmt)


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id)


async def lock_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    stmt = select(Payment).where(Payment.id == payment_id).with_for_update()
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def get_live_payment(session: AsyncSession, booking_id: uuid.UUID) -> Payment | None:
    """The booking's processing, succeeded or refunded payment (the index allows one)."""
    stmt = select(Payment).where(
        Payment.booking_id == booking_id, Payment.status.in_([s.value for s in LIVE_STATUSES])
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def lock_succeeded_payment(session: AsyncSession, booking_id: uuid.UUID) -> Payment | None:
    stmt = (
        select(Payment)
        .where(Payment.booking_id == booking_id, Payment.status == PaymentStatus.SUCCEEDED)
        .with_for_update()
    )
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def lock_stale_processing(
    session: AsyncSession, *, older_than: datetime, limit: int = 100
) -> list[Payment]:
    stmt = (
        select(Payment)
        .where(Payment.status == PaymentStatus.PROCESSING, Payment.created_at < older_than)
        .order_by(Payment.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars().all())


def list_payments(*, user_id: uuid.UUID | None, booking_id: uuid.UUID | None) -> Select[Payment]:
    """Newest first; ``user_id=None`` means everyone's (admins)."""
    stmt = select(Payment).order_by(Payment.created_at.desc(), Payment.id)
    if user_id is not None:
        stmt = stmt.where(Payment.user_id == user_id)
    if booking_id is not None:
        stmt = stmt.where(Payment.booking_id == booking_id)
    return stmt


async def set_payment_outcome(
    session: AsyncSession,
    *,
    payment_id: uuid.UUID,
    status: str,
    failure_reason: str | None,
    retryable: bool,
    processor_ref: str | None,
) -> Payment | None:
    """Guarded: only a ``processing`` payment gets its outcome (None if it already has one)."""
    stmt = (
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.PROCESSING)
        .values(
            status=status,
            failure_reason=failure_reason,
            retryable=retryable,
            processor_ref=processor_ref,
            updated_at=utcnow(),
        )
        .returning(Payment)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
