"""Consumers of other services' messages (the runner handles the inbox and the transaction)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from booking_service import service
from booking_service.context import Context
from shared.contracts.event import EventCancelledV1, EventPublishedV1
from shared.contracts.payment import PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1
from shared.db import after_commit
from shared.messaging import Envelope, Handler


async def on_payment_succeeded(
    session: AsyncSession, envelope: Envelope[PaymentSucceededV1], ctx: Context
) -> None:
    """A booking was paid: confirm it and issue its tickets; a late payment re-takes the seats
    or is refunded at once."""
    await service.confirm_paid_booking(
        session,
        payment=envelope.data,
        signer=ctx.ticket_signer,
        events=ctx.events,
        retake_ttl_seconds=ctx.settings.RETAKE_HOLD_TTL_SECONDS,
    )
    # buyers waiting here for this booking: at once (``shared.watch``)
    after_commit(session, partial(ctx.watch.ring_later, envelope.data.booking_id))


async def on_payment_failed(
    session: AsyncSession, envelope: Envelope[PaymentFailedV1], ctx: Context
) -> None:
    """A payment failed for good: the pending booking is cancelled and its seats freed."""
    await service.cancel_unpaid_booking(session, failure=envelope.data)


async def on_payment_refunded(
    session: AsyncSession, envelope: Envelope[PaymentRefundedV1], ctx: Context
) -> None:
    """The money went back: the booking becomes refunded (seats still held are freed)."""
    await service.settle_refund(session, refund=envelope.data)


async def on_event_published(
    session: AsyncSession, envelope: Envelope[EventPublishedV1], ctx: Context
) -> None:
    """An event went on sale: remember its organizer (its sales answer them from now on)."""
    await service.record_event(
        session, event_id=envelope.data.event_id, organizer_id=envelope.data.organizer_id
    )


async def on_event_cancelled(
    session: AsyncSession, envelope: Envelope[EventCancelledV1], ctx: Context
) -> None:
    """The show is off: every live booking of it is cancelled (paid ones get refunded)."""
    await service.record_event(
        session, event_id=envelope.data.event_id, organizer_id=envelope.data.organizer_id
    )
    await service.cancel_event_bookings(session, event_id=envelope.data.event_id)


SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    PaymentSucceededV1.TYPE: on_payment_succeeded,
    PaymentFailedV1.TYPE: on_payment_failed,
    PaymentRefundedV1.TYPE: on_payment_refunded,
    EventPublishedV1.TYPE: on_event_published,
    EventCancelledV1.TYPE: on_event_cancelled,
}
