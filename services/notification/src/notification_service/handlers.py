"""Consumers: one email per fact a person should hear about (the runner gives idempotency)."""

from __future__ import annotations

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


def _courier(rt: Any) -> Courier:
    courier: Courier = rt.state.courier
    return courier


async def on_user_registered(
    session: AsyncSession, envelope: Envelope[UserRegisteredV1], rt: Any
) -> None:
    """Welcome a new user."""
    await service.welcome_user(session, _courier(rt), message_id=envelope.id, data=envelope.data)


async def on_verification_requested(
    session: AsyncSession, envelope: Envelope[UserVerificationRequestedV1], rt: Any
) -> None:
    """Email a new verification token."""
    await service.send_verification(
        session, _courier(rt), message_id=envelope.id, data=envelope.data
    )


async def on_booking_confirmed(
    session: AsyncSession, envelope: Envelope[BookingConfirmedV1], rt: Any
) -> None:
    """Send the buyer their PDF tickets."""
    await service.send_tickets(session, _courier(rt), message_id=envelope.id, data=envelope.data)


async def on_booking_cancelled(
    session: AsyncSession, envelope: Envelope[BookingCancelledV1], rt: Any
) -> None:
    """Tell the buyer their booking was cancelled."""
    await service.tell_booking_cancelled(
        session, _courier(rt), message_id=envelope.id, data=envelope.data
    )


async def on_booking_expired(
    session: AsyncSession, envelope: Envelope[BookingExpiredV1], rt: Any
) -> None:
    """Tell the buyer their booking expired unpaid."""
    await service.tell_booking_expired(
        session, _courier(rt), message_id=envelope.id, data=envelope.data
    )


async def on_payment_refunded(
    session: AsyncSession, envelope: Envelope[PaymentRefundedV1], rt: Any
) -> None:
    """Tell the payer about their refund."""
    await service.tell_refunded(session, _courier(rt), message_id=envelope.id, data=envelope.data)


async def on_organizer_decided(
    session: AsyncSession, envelope: Envelope[OrganizerDecidedV1], rt: Any
) -> None:
    """Tell an applicant the admin's decision."""
    await service.tell_organizer_decision(
        session, _courier(rt), message_id=envelope.id, data=envelope.data
    )


async def on_password_reset_requested(
    session: AsyncSession, envelope: Envelope[UserPasswordResetRequestedV1], rt: Any
) -> None:
    """Email a password-reset token."""
    await service.send_password_reset(
        session, _courier(rt), message_id=envelope.id, data=envelope.data
    )


SUBSCRIPTIONS: dict[str, Handler] = {
    UserRegisteredV1.TYPE: on_user_registered,
    UserVerificationRequestedV1.TYPE: on_verification_requested,
    BookingConfirmedV1.TYPE: on_booking_confirmed,
    BookingCancelledV1.TYPE: on_booking_cancelled,
    BookingExpiredV1.TYPE: on_booking_expired,
    PaymentRefundedV1.TYPE: on_payment_refunded,
    OrganizerDecidedV1.TYPE: on_organizer_decided,
    UserPasswordResetRequestedV1.TYPE: on_password_reset_requested,
}
