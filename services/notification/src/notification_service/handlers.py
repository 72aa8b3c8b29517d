"""Consumers: one email per fact a person should hear about (the runner gives idempotency).

Every use case in ``service`` takes ``(session, courier, *, message_id, data)``, so each
subscription is that use case, handed the envelope's id and data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from notification_service import service
from notification_service.service import Courier
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.payment import PaymentRefundedV1
from shared.messaging import Envelope, Handler

UseCase = Callable[..., Awaitable[None]]


def _consume(use_case: UseCase) -> Handler:
    """A consumer that runs ``use_case`` with the service's courier."""

    async def on_message(session: AsyncSession, envelope: Envelope[Any], rt: Any) -> None:
        courier: Courier = rt.state.courier
        await use_case(session, courier, message_id=envelope.id, data=envelope.data)

    on_message.__name__ = f"on_{use_case.__name__}"
    return on_message


SUBSCRIPTIONS: dict[str, Handler] = {
    UserRegisteredV1.TYPE: _consume(service.welcome_user),
    UserVerificationRequestedV1.TYPE: _consume(service.send_verification),
    UserPasswordResetRequestedV1.TYPE: _consume(service.send_password_reset),
    OrganizerDecidedV1.TYPE: _consume(service.tell_organizer_decision),
    BookingConfirmedV1.TYPE: _consume(service.send_tickets),
    BookingCancelledV1.TYPE: _consume(service.tell_booking_cancelled),
    BookingExpiredV1.TYPE: _consume(service.tell_booking_expired),
    PaymentRefundedV1.TYPE: _consume(service.tell_refunded),
}
