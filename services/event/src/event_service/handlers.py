"""Consumers of booking's messages; the runner gives each its inbox claim and transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from event_service.context import Context
from event_service.holds import Place
from event_service.service import sales
from event_service.service.sales import BookedPlaces
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.messaging import Envelope, Handler


def _booked(data: BookingConfirmedV1 | BookingCancelledV1 | BookingExpiredV1) -> BookedPlaces:
    return BookedPlaces(
        event_id=data.event_id,
        booking_id=data.booking_id,
        user_id=data.user_id,
        hold_id=data.hold_id,
        places=[Place(s.seat_id, s.tier, s.price) for s in data.seats],
    )


async def on_booking_confirmed(
    session: AsyncSession, envelope: Envelope[BookingConfirmedV1], ctx: Context
) -> None:
    """The booking is paid: its seats are sold for good."""
    await sales.record_sale(session, ctx, booking=_booked(envelope.data))


async def on_booking_cancelled(
    session: AsyncSession, envelope: Envelope[BookingCancelledV1], ctx: Context
) -> None:
    """The booking was cancelled: whatever it held or bought is free again."""
    await sales.undo_sale(session, ctx, booking=_booked(envelope.data))


async def on_booking_expired(
    session: AsyncSession, envelope: Envelope[BookingExpiredV1], ctx: Context
) -> None:
    """The booking expired unpaid: whatever it held is free again."""
    await sales.undo_sale(session, ctx, booking=_booked(envelope.data))


SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    BookingConfirmedV1.TYPE: on_booking_confirmed,
    BookingCancelledV1.TYPE: on_booking_cancelled,
    BookingExpiredV1.TYPE: on_booking_expired,
}
