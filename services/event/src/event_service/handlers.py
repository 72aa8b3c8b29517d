"""Consumers of booking's messages; the runner gives each its inbox claim and transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from event_service import service
from event_service.holds import Place
from event_service.service import Ctx
from shared.contracts.booking import (
    BookedSeat,
    BookingCancelledV1,
    BookingConfirmedV1,
    BookingExpiredV1,
)
from shared.messaging import Envelope, Handler
from shared.runtime import Runtime


def _places(seats: Sequence[BookedSeat]) -> list[Place]:
    return [Place(s.seat_id, s.tier, s.price) for s in seats]


def _ctx(rt: Runtime) -> Ctx:
    ctx: Ctx = rt.state.ctx
    return ctx


async def on_booking_confirmed(
    session: AsyncSession, envelope: Envelope[BookingConfirmedV1], rt: Runtime
) -> None:
    """The booking is paid: its seats are sold for good."""
    data = envelope.data
    await service.record_sale(
        session,
        _ctx(rt),
        event_id=data.event_id,
        booking_id=data.booking_id,
        user_id=data.user_id,
        hold_id=data.hold_id,
        places=_places(data.seats),
    )


async def on_booking_ended(session: AsyncSession, envelope: Envelope[Any], rt: Runtime) -> None:
    """The booking was cancelled or expired: whatever it held or bought is free again."""
    data: BookingCancelledV1 | BookingExpiredV1 = envelope.data
    await service.undo_sale(
        session,
        _ctx(rt),
        event_id=data.event_id,
        booking_id=data.booking_id,
        user_id=data.user_id,
        hold_id=data.hold_id,
        places=_places(data.seats),
    )


SUBSCRIPTIONS: dict[str, Handler] = {
    BookingConfirmedV1.TYPE: on_booking_confirmed,
    BookingCancelledV1.TYPE: on_booking_ended,
    BookingExpiredV1.TYPE: on_booking_ended,
}
