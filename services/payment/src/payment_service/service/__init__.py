"""Use cases of the payment service; messages leave only through the outbox.

- :mod:`.charging`: POST /api/payments — claim, charge with no transaction open, record.
- :mod:`.refunds`: every refund is recorded ``pending`` and committed before the processor
  is asked, then settled (admin refunds, cancellations, charges that cannot stand).
- :mod:`.bookings`: booking's facts (cancelled, expired) on payment's copy of the booking.
- :mod:`.queries`, :mod:`.upkeep`: reading payments; periodic sweeps.
"""

from payment_service.service.bookings import record_booking_cancelled, record_booking_expired
from payment_service.service.charging import BookingNotPayable, pay_for_booking
from payment_service.service.queries import get_payment, list_payments
from payment_service.service.refunds import (
    PaymentNotRefundable,
    RefundPending,
    RefundRefused,
    RefundUnderWay,
    refund_payment,
    settle_pending_refunds,
    settle_refund,
)
from payment_service.service.upkeep import fail_stale_payments, purge_idempotency_keys

__all__ = [
    "BookingNotPayable",
    "PaymentNotRefundable",
    "RefundPending",
    "RefundRefused",
    "RefundUnderWay",
    "fail_stale_payments",
    "get_payment",
    "list_payments",
    "pay_for_booking",
    "purge_idempotency_keys",
    "record_booking_cancelled",
    "record_booking_expired",
    "refund_payment",
    "settle_pending_refunds",
    "settle_refund",
]
