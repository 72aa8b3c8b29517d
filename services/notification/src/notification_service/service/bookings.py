"""Emails about bookings and money, and the booking's PDF tickets."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import emails, repository
from notification_service.domain import (
    NO_ADDRESS,
    NotificationKind,
    NotificationStatus,
    clean_text,
    display_name,
)
from notification_service.mailer import Attachment
from notification_service.service.delivery import Courier, Outgoing, address_of, deliver
from notification_service.service.tickets import store_ticket_document, void_tickets
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.logging import get_logger

log = get_logger("notification.service")


async def send_tickets(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingConfirmedV1
) -> None:
    """Render and store the booking's PDF tickets and email them to the buyer (nothing when
    the booking's cancellation was consumed first: its tickets are void)."""
    to_email, full_name = await address_of(session, data.user_id, data.user_email)
    buyer = display_name(full_name, to_email)
    stored = await store_ticket_document(courier, data, buyer_name=buyer, buyer_email=to_email)
    if stored is None:
        return
    email = emails.booking_confirmed(
        greeting=buyer,
        title=data.event.title,
        starts_at=data.event.starts_at,
        location=data.event.location,
        booking_id=data.booking_id,
        tickets=len(data.tickets),
        amount=data.amount,
        currency=data.currency,
        base_url=courier.settings.PUBLIC_BASE_URL,
    )
    attachment = Attachment(filename=f"ticket-{data.booking_id}.pdf", content=stored.content)
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_CONFIRMED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
            attachments=(attachment,),
        ),
    )


async def tell_booking_cancelled(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingCancelledV1
) -> None:
    """Void the booking's tickets (the PDF is gone) and tell the buyer it was cancelled (and
    that a refund follows when it was paid)."""
    # Every cancellation, not only was_confirmed: one consumed before its booking.confirmed
    # must keep that confirmation from rendering a PDF (a cancelled booking never comes back).
    await void_tickets(
        courier, booking_id=data.booking_id, user_id=data.user_id, reason=data.reason
    )
    to_email, full_name = await address_of(session, data.user_id, data.user_email)
    email = emails.booking_cancelled(
        greeting=display_name(full_name, to_email),
        booking_id=data.booking_id,
        reason=data.reason,
        was_confirmed=data.was_confirmed,
        was_paid=data.payment_id is not None,
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_CANCELLED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
        ),
    )


async def tell_booking_expired(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: BookingExpiredV1
) -> None:
    """Tell the buyer their unpaid booking expired."""
    to_email, full_name = await address_of(session, data.user_id, data.user_email)
    email = emails.booking_expired(
        greeting=display_name(full_name, to_email), booking_id=data.booking_id
    )
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.BOOKING_EXPIRED,
            user_id=data.user_id,
            to_email=to_email,
            to_name=clean_text(full_name),
            email=email,
        ),
    )


async def tell_refunded(
    session: AsyncSession, courier: Courier, *, message_id: uuid.UUID, data: PaymentRefundedV1
) -> None:
    """Void the tickets standing on the refunded payment, and tell the payer about the refund;
    with no known address, record it failed (no retry helps)."""
    await void_tickets(
        courier,
        booking_id=data.booking_id,
        user_id=data.user_id,
        reason="payment_refunded",
        refunded_payment_id=data.payment_id,
    )
    recipient = await repository.get_recipient(session, data.user_id)
    greeting = display_name(recipient.full_name, recipient.email) if recipient else ""
    email = emails.refund(
        greeting=greeting, booking_id=data.booking_id, amount=data.amount, currency=data.currency
    )
    if recipient is None:
        log.warning("notification_no_address", user_id=str(data.user_id), kind="refund")
        await repository.add_notification(
            session,
            message_id=message_id,
            kind=NotificationKind.REFUND,
            user_id=data.user_id,
            subject=email.subject,
            status=NotificationStatus.FAILED,
            error=NO_ADDRESS,
        )
        return
    await deliver(
        session,
        courier,
        Outgoing(
            message_id=message_id,
            kind=NotificationKind.REFUND,
            user_id=data.user_id,
            to_email=recipient.email,
            to_name=clean_text(recipient.full_name),
            email=email,
        ),
    )
