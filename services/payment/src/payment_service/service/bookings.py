"""What booking's facts do to payment: the copy follows, and money taken for a booking that
can no longer stand goes back (recorded here, settled once the consumer has committed)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository
from payment_service.domain import BookingStatus
from payment_service.service.refunds import open_refund
from shared.contracts.booking import BookingCancelledV1, BookingCreatedV1, BookingExpiredV1
from shared.db import after_commit, utcnow

if TYPE_CHECKING:
    from payment_service.context import Context


async def record_booking_created(
    session: AsyncSession, *, ctx: Context, created: BookingCreatedV1
) -> None:
    """booking.created: keep our copy of the booking — what it costs, who may pay it; a payment
    already waiting for it is rung once this transaction commits."""
    await repository.add_booking_copy(
        session,
        booking_id=created.booking_id,
        user_id=created.user_id,
        event_id=created.event_id,
        amount=created.amount,
        currency=created.currency,
        status=BookingStatus.PENDING_PAYMENT,
        expires_at=created.expires_at,
        now=utcnow(),
    )
    after_commit(session, partial(ctx.copies.ring_later, created.booking_id))


async def record_booking_cancelled(
    session: AsyncSession, *, ctx: Context, cancelled: BookingCancelledV1
) -> None:
    """booking.cancelled: the copy stops being payable; a succeeded payment gets a pending
    refund, settled by the refund settler once this transaction commits.

    Runs in the consumer's transaction; a repeat finds the same refund, or nothing to do.
    """
    await repository.end_booking_copy(
        session,
        booking_id=cancelled.booking_id,
        user_id=cancelled.user_id,
        event_id=cancelled.event_id,
        status=BookingStatus.CANCELLED,
        replaces=(BookingStatus.PENDING_PAYMENT, BookingStatus.EXPIRED),
        now=utcnow(),
    )
    payment = await repository.lock_succeeded_payment(session, cancelled.booking_id)
    if payment is None:
        return
    await open_refund(
        session,
        payment=payment,
        reason=f"booking_cancelled: {cancelled.reason}",
        actor_id=None,
        leased_for=None,
    )
    # the processor is asked only once the refund is committed, with no lock of ours held
    after_commit(session, ctx.refund_wake.ring)


async def record_booking_expired(session: AsyncSession, *, expired: BookingExpiredV1) -> None:
    """booking.expired: no new charge for this booking (409). A charge already in flight still
    lands, and booking's late-payment rule decides what it buys; a cancellation stays one."""
    await repository.end_booking_copy(
        session,
        booking_id=expired.booking_id,
        user_id=expired.user_id,
        event_id=expired.event_id,
        status=BookingStatus.EXPIRED,
        replaces=(BookingStatus.PENDING_PAYMENT,),
        now=utcnow(),
    )
