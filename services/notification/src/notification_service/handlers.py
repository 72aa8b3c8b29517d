"""Consumers: one email per fact a person should hear about (the runner gives idempotency), and
a webhook delivery per organizer's endpoint that hears the message (in the same transaction).

The table below is the service's use cases by the message that starts them: each is a
handler itself, ``(session, envelope: Envelope[<Fact>V1], ctx: Context)``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import service
from notification_service.context import Context
from notification_service.webhooks.repository import remember_owner
from notification_service.webhooks.service import fan_out
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import (
    BookingCancelledV1,
    BookingConfirmedV1,
    BookingExpiredV1,
    TicketCheckedInV1,
)
from shared.contracts.event import EventCancelledV1, EventPublishedV1, WaitlistOfferedV1
from shared.contracts.payment import PaymentRefundedV1
from shared.db import after_commit
from shared.messaging import Envelope, Handler


def _and_webhooks(email: Handler[Context] | None) -> Handler[Context]:
    """``email`` (if any), then the message's webhook deliveries, in one transaction."""

    async def handle(session: AsyncSession, envelope: Envelope[Any], ctx: Context) -> None:
        if email is not None:
            await email(session, envelope, ctx)
        data = envelope.data
        event_id = getattr(data, "event_id", None)
        organizer_id = getattr(data, "organizer_id", None)
        if await fan_out(session, envelope, ctx, event_id=event_id, organizer_id=organizer_id):
            after_commit(session, ctx.webhook_wake.ring)

    return handle


async def remember_event_owner(
    session: AsyncSession, envelope: Envelope[EventPublishedV1], ctx: Context
) -> None:
    """Whose the event is: its organizer's webhooks hear its messages."""
    await remember_owner(session, envelope.data.event_id, envelope.data.organizer_id)


SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    UserRegisteredV1.TYPE: service.welcome_user,
    UserVerificationRequestedV1.TYPE: service.send_verification,
    UserPasswordResetRequestedV1.TYPE: service.send_password_reset,
    OrganizerDecidedV1.TYPE: service.tell_organizer_decision,
    BookingConfirmedV1.TYPE: _and_webhooks(service.send_tickets),
    BookingCancelledV1.TYPE: _and_webhooks(service.tell_booking_cancelled),
    BookingExpiredV1.TYPE: _and_webhooks(service.tell_booking_expired),
    PaymentRefundedV1.TYPE: _and_webhooks(service.tell_refunded),
    WaitlistOfferedV1.TYPE: service.tell_waitlist_offer,
    EventPublishedV1.TYPE: remember_event_owner,
    EventCancelledV1.TYPE: _and_webhooks(None),
    TicketCheckedInV1.TYPE: _and_webhooks(None),
}
