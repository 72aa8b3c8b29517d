"""Emails about bookings and money, and the booking's PDF tickets."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails, repository
from notification_service.domain import NotificationKind
from notification_service.repository import QueuedEmail
from notification_service.service.delivery import (
    address_of,
    addressed,
    known_address,
    tell,
    wake_sender_after_commit,
)
from notification_service.service.tickets import store_ticket_document, void_tickets
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.db import after_commit
from shared.messaging import Envelope

if TYPE_CHECKING:
    from notification_service.context import Context


async def send_tickets(
    session: AsyncSession, envelope: Envelope[BookingConfirmedV1], ctx: Context
) -> None:
    """Render and store the booking's PDF tickets and queue the email that carries them
    (nothing when the booking's cancellation was consumed first: its tickets are void)."""
    data = envelope.data
    # the buyer's address, and the booking's tickets locked, in one round trip
    to = await address_of(session, data.user_id, data.user_email, lock_tickets_of=data.booking_id)
    email = emails.booking_confirmed(
        greeting=to.greeting,
        title=data.event.title,
        starts_at=data.event.starts_at,
        location=data.event.location,
        booking_id=data.booking_id,
        tickets=len(data.tickets),
        amount=data.amount,
        currency=data.currency,
        base_url=ctx.settings.PUBLIC_BASE_URL,
    )
    kind = NotificationKind.BOOKING_CONFIRMED
    queued = addressed(envelope, kind=kind, to=to, email=email, tickets_of=data.booking_id)
    if isinstance(queued, QueuedEmail):
        if await store_ticket_document(session, data, buyer=to, email=queued):
            wake_sender_after_commit(session, ctx)
    elif await store_ticket_document(session, data, buyer=to, email=None):
        await repository.record_notifications(session, [queued])  # the PDF, but no email
    # downloads waiting for this PDF here: at once
    after_commit(session, partial(ctx.pdf_watch.ring_later, data.booking_id))


async def tell_booking_cancelled(
    session: AsyncSession, envelope: Envelope[BookingCancelledV1], ctx: Context
) -> None:
    """Void the booking's tickets (the PDF is gone) and tell the buyer it was cancelled (and
    that a refund follows when it was paid)."""
    data = envelope.data
    # Every cancellation, not only was_confirmed: one consumed before its booking.confirmed
    # must keep that confirmation from rendering a PDF (a cancelled booking never comes back).
    await void_tickets(
        session, booking_id=data.booking_id, user_id=data.user_id, reason=data.reason
    )
    to = await address_of(session, data.user_id, data.user_email)
    email = emails.booking_cancelled(
        greeting=to.greeting,
        booking_id=data.booking_id,
        reason=data.reason,
        was_confirmed=data.was_confirmed,
        was_paid=data.payment_id is not None,
    )
    await tell(session, ctx, envelope, kind=NotificationKind.BOOKING_CANCELLED, to=to, email=email)


async def tell_booking_expired(
    session: AsyncSession, envelope: Envelope[BookingExpiredV1], ctx: Context
) -> None:
    """Tell the buyer their unpaid booking expired."""
    data = envelope.data
    to = await address_of(session, data.user_id, data.user_email)
    email = emails.booking_expired(greeting=to.greeting, booking_id=data.booking_id)
    await tell(session, ctx, envelope, kind=NotificationKind.BOOKING_EXPIRED, to=to, email=email)


async def tell_refunded(
    session: AsyncSession, envelope: Envelope[PaymentRefundedV1], ctx: Context
) -> None:
    """Void the tickets standing on the refunded payment, and tell the payer about the refund;
    with no known address, record it failed (no retry helps)."""
    data = envelope.data
    await void_tickets(
        session,
        booking_id=data.booking_id,
        user_id=data.user_id,
        reason="payment_refunded",
        refunded_payment_id=data.payment_id,
    )
    to = await known_address(session, data.user_id)
    greeting = to.greeting if to else ""
    email = emails.refund(
        greeting=greeting, booking_id=data.booking_id, amount=data.amount, currency=data.currency
    )
    await tell(session, ctx, envelope, kind=NotificationKind.REFUND, to=to, email=email)
