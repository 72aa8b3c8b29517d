"""Consumers of booking's messages (run by shared's consumer, inbox-deduplicated)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from payment_service import service
from payment_service.context import Context
from shared.contracts.booking import BookingCancelledV1, BookingCreatedV1, BookingExpiredV1
from shared.messaging import Envelope, Handler


async def on_booking_created(
    session: AsyncSession, envelope: Envelope[BookingCreatedV1], ctx: Context
) -> None:
    """Keep our copy of the booking: what it costs, who may pay it."""
    await service.record_booking_created(session, ctx=ctx, created=envelope.data)


async def on_booking_cancelled(
    session: AsyncSession, envelope: Envelope[BookingCancelledV1], ctx: Context
) -> None:
    """The booking can no longer be paid; money already taken for it goes back."""
    await service.record_booking_cancelled(session, ctx=ctx, cancelled=envelope.data)


async def on_booking_expired(
    session: AsyncSession, envelope: Envelope[BookingExpiredV1], ctx: Context
) -> None:
    """The booking lapsed unpaid: a new charge for it is refused (409)."""
    await service.record_booking_expired(session, expired=envelope.data)


SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    BookingCreatedV1.TYPE: on_booking_created,
    BookingCancelledV1.TYPE: on_booking_cancelled,
    BookingExpiredV1.TYPE: on_booking_expired,
}
