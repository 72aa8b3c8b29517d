"""What booking's facts do to payment: the copy follows, and money taken for a booking that
can no longer stand goes back (recorded here, settled once the consumer has committed)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository
from payment_service.domain import BookingStatus
from payment_service.orm import Refund
from payment_service.service.refunds import open_refund
from payment_service.settings import Settings


async def record_booking_cancelled(
    session: AsyncSession,
    *,
    settings: Settings,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    event_id: uuid.UUID,
    reason: str,
) -> Refund | None:
    """booking.cancelled: the copy stops being payable; a succeeded payment gets a pending
    refund (returned), which the caller settles after its transaction commits.

    Runs in the consumer's transaction; a repeat finds the same refund, or nothing to do.
    """
    await repository.end_booking_copy(
        session,
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        status=BookingStatus.CANCELLED,
        replaces=(BookingStatus.PENDING_PAYMENT, BookingStatus.EXPIRED),
    )
    payment = await repository.lock_succeeded_payment(session, booking_id)
    if payment is None:
        return None
    return await open_refund(
        session,
        payment=payment,
        reason=f"booking_cancelled: {reason}",
        actor_id=None,
        settings=settings,
        lease=False,
    )


async def record_booking_expired(
    session: AsyncSession, *, booking_id: uuid.UUID, user_id: uuid.UUID, event_id: uuid.UUID
) -> None:
    """booking.expired: no new charge for this booking (409). A charge already in flight still
    lands, and booking's late-payment rule decides what it buys; a cancellation stays one."""
    await repository.end_booking_copy(
        session,
        booking_id=booking_id,
        user_id=user_id,
        event_id=event_id,
        status=BookingStatus.EXPIRED,
        replaces=(BookingStatus.PENDING_PAYMENT,),
    )
