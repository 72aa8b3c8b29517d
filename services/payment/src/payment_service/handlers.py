"""Consumers of booking's messages (run by shared's consumer, inbox-deduplicated)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import repository, service
from payment_service.domain import BookingStatus
from shared.contracts.booking import BookingCancelledV1, BookingCreatedV1
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
    await service.record_booking_cancelled(
        session,
        processor=rt.state.processor,
        settings=rt.settings,
        booking_id=data.booking_id,
        user_id=data.user_id,
        event_id=data.event_id,
        reason=data.reason,
    )


SUBSCRIPTIONS: dict[str, Handler] = {
    BookingCreatedV1.TYPE: on_booking_created,
    BookingCancelledV1.TYPE: on_booking_cancelled,
}
