"""Payments and refunds through the ORM: reads, locks, leases and outcomes (off the charge's
hot path)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service.domain import (
    LIVE_REFUND_STATUSES,
    PaymentStatus,
    RefundStatus,
)
from payment_service.orm import Payment, Refund
from shared.db import utcnow


async def get_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.get(Payment, payment_id)


async def lock_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    stmt = select(Payment).where(Payment.id == payment_id).with_for_update()
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def get_known_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    """A payment that must exist (a refund's foreign key): raises ``NoResultFound`` if not."""
    return await session.get_one(Payment, payment_id, populate_existing=True)


async def lock_known_payment(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    """:func:`lock_payment` of a payment that must exist (our own claim, a refund's foreign
    key): raises ``NoResultFound`` if not."""
    return await session.get_one(Payment, payment_id, with_for_update=True, populate_existing=True)


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


async def get_live_refund(session: AsyncSession, payment_id: uuid.UUID) -> Refund | None:
    """The payment's pending or succeeded refund (the index allows one)."""
    stmt = select(Refund).where(
        Refund.payment_id == payment_id, Refund.status.in_([s.value for s in LIVE_REFUND_STATUSES])
    )
    return (
        await session.execute(stmt.execution_options(populate_existing=True))
    ).scalar_one_or_none()


async def get_known_refund(session: AsyncSession, refund_id: uuid.UUID) -> Refund:
    """A refund that must exist (the caller holds it): raises ``NoResultFound`` if not."""
    return await session.get_one(Refund, refund_id, populate_existing=True)


async def lease_refund(
    session: AsyncSession, refund_id: uuid.UUID, *, seconds: float
) -> Refund | None:
    """Take the right to ask the processor for a pending refund (None: settled, or someone else
    is asking right now). A lease, not a row lock: nothing stays locked during the call."""
    now = utcnow()
    stmt = (
        update(Refund)
        .where(
            Refund.id == refund_id,
            Refund.status == RefundStatus.PENDING,
            or_(Refund.leased_until.is_(None), Refund.leased_until < now),
        )
        .values(leased_until=now + timedelta(seconds=seconds))
        .returning(Refund)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def release_refund(session: AsyncSession, refund_id: uuid.UUID) -> None:
    """Give a lease up (the processor did not answer): the next attempt may start at once."""
    stmt = (
        update(Refund)
        .where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING)
        .values(leased_until=None)
    )
    await session.execute(stmt)


async def lease_pending_refunds(
    session: AsyncSession, *, seconds: float, limit: int = 100
) -> list[uuid.UUID]:
    """Lease every pending refund nobody is asking about (oldest first)."""
    now = utcnow()
    free = (
        select(Refund.id)
        .where(
            Refund.status == RefundStatus.PENDING,
            or_(Refund.leased_until.is_(None), Refund.leased_until < now),
        )
        .order_by(Refund.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        update(Refund)
        .where(Refund.id.in_(free.scalar_subquery()))
        .values(leased_until=now + timedelta(seconds=seconds))
        .returning(Refund.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def set_refund_outcome(
    session: AsyncSession,
    *,
    refund_id: uuid.UUID,
    status: RefundStatus,
    processor_ref: str | None,
    failure_reason: str | None,
) -> Refund | None:
    """Guarded: only a ``pending`` refund gets its outcome (None if it already has one)."""
    stmt = (
        update(Refund)
        .where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING)
        .values(
            status=status,
            processor_ref=processor_ref,
            failure_reason=failure_reason,
            leased_until=None,
            updated_at=utcnow(),
        )
        .returning(Refund)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
