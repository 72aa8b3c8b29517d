"""Consumers: one email per fact a person should hear about (the runner gives idempotency).

The table below is the service's use cases by the message that starts them: each is a
handler itself, ``(session, envelope: Envelope[<Fact>V1], ctx: Context)``.
"""

from __future__ import annotations

from notification_service import service
from notification_service.context import Context
from shared.contracts.auth import (
    OrganizerDecidedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
    UserVerificationRequestedV1,
)
from shared.contracts.booking import BookingCancelledV1, BookingConfirmedV1, BookingExpiredV1
from shared.contracts.event import WaitlistOfferedV1
from shared.contracts.payment import PaymentRefundedV1
from shared.messaging import Handler

SUBSCRIPTIONS: dict[str, Handler[Context]] = {
    UserRegisteredV1.TYPE: service.welcome_user,
    UserVerificationRequestedV1.TYPE: service.send_verification,
    UserPasswordResetRequestedV1.TYPE: service.send_password_reset,
    OrganizerDecidedV1.TYPE: service.tell_organizer_decision,
    BookingConfirmedV1.TYPE: service.send_tickets,
    BookingCancelledV1.TYPE: service.tell_booking_cancelled,
    BookingExpiredV1.TYPE: service.tell_booking_expired,
    PaymentRefundedV1.TYPE: service.tell_refunded,
    WaitlistOfferedV1.TYPE: service.tell_waitlist_offer,
}
