"""Messages published by payment."""

from __future__ import annotations

from uuid import UUID

from shared.contracts.base import Contract


class PaymentSucceededV1(Contract):
    TYPE = "payment.succeeded"
    payment_id: UUID
    booking_id: UUID
    user_id: UUID
    amount: int
    currency: str
    card_last4: str


class PaymentFailedV1(Contract):
    TYPE = "payment.failed"
    payment_id: UUID
    booking_id: UUID
    user_id: UUID
    reason: str
    retryable: bool


class PaymentRefundedV1(Contract):
    TYPE = "payment.refunded"
    refund_id: UUID
    payment_id: UUID
    booking_id: UUID
    user_id: UUID
    amount: int
    currency: str
    # the admin who asked for it; None when the refund followed a cancellation by itself
    actor_id: UUID | None = None
    reason: str | None = None
    # the booking's event (for organizers' webhooks); absent in messages of before
    event_id: UUID | None = None
