"""Use cases of the payment service; messages leave only through the outbox.

- :mod:`.charges`: POST /api/payments — claim, charge with no transaction open, record.
- :mod:`.refunds`: every refund is recorded ``pending`` and committed before the processor
  is asked, then settled (admin refunds, cancellations, charges that cannot stand).
- :mod:`.bookings`: booking's facts (created, cancelled, expired) on payment's copy of it.
- :mod:`.queries`: reading payments. :mod:`.sweeps`: the periodic jobs.
"""

from payment_service.service.bookings import (
    record_booking_cancelled,
    record_booking_created,
    record_booking_expired,
)
from payment_service.service.charges import pay_for_booking
from payment_service.service.queries import get_payment, list_payments
from payment_service.service.refunds import refund_payment
from payment_service.service.sweeps import (
    fail_stale_payments,
    settle_pending_refunds,
    settle_refunds_when_woken,
)

__all__ = [
    "fail_stale_payments",
    "get_payment",
    "list_payments",
    "pay_for_booking",
    "record_booking_cancelled",
    "record_booking_created",
    "record_booking_expired",
    "refund_payment",
    "settle_pending_refunds",
    "settle_refunds_when_woken",
]
