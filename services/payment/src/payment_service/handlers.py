"""Consumers of booking's messages (run by shared's consumer, inbox-deduplicated)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository, service
from payment_service.domain import BookingStatus
from shared.contracts.booking import BookingCancelledV1, BookingCreatedV1, BookingExpiredV1
from shared.messaging import Envelope, Handler


async def on_booking_created(
    session: AsyncSession, envelope: Envelope[BookingCreatedV1], rt: Any
) -> None:
    """Keep our copy of the booking: what it costs, who may pay it."""
    data = envelope.data
    await repository.add_booking_copy(
        session,
        booking_id=data.booking_id,
        user_id=data.user_id,
        event_id=data.event_id,
        amount=data.amount,
        currency=data.currency,
        status=BookingStatus.PENDING_PAYMENT,
        expires_at=data.expires_at,
    )


async def on_booking_cancelled(
    session: AsyncSession, envelope: Envelope[BookingCancelledV1], rt: Any
) -> None:
    """The booking can no longer be paid; money already taken for it goes back."""
    data = envelope.data
    refund = await service.record_booking_cancelled(
        session,
        settings=rt.settings,
        booking_id=data.booking_id,
        user_id=data.user_id,
        event_id=data.event_id,
        reason=data.reason,
    )
    if refund is not None:
        # The processor is asked only once the pending refund is committed (with the inbox
        # claim), by the refund settler this wakes; the consumer's locks are gone by then.
        wake = rt.state.refund_wake
        event.listen(session.sync_session, "after_commit", lambda _s: wake.set(), once=True)


async def on_booking_expired(
    session: AsyncSession, envelope: Envelope[BookingExpiredV1], rt: Any
) -> None:
    """The booking lapsed unpaid: a new charge for it is refused (409)."""
    data = envelope.data
    await service.record_booking_expired(
        session, booking_id=data.booking_id, user_id=data.user_id, event_id=data.event_id
    )


SUBSCRIPTIONS: dict[str, Handler] = {
    BookingCreatedV1.TYPE: on_booking_created,
    BookingCancelledV1.TYPE: on_booking_cancelled,
    BookingExpiredV1.TYPE: on_booking_expired,
}
