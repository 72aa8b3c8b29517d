"""Payment's queries (run inside the caller's transaction unless they say otherwise).

- :mod:`.charges`: the charge's claim and record, and the booking copy (hand-written SQL, one
  round trip each).
- :mod:`.payments`: payments and refunds through the ORM.
"""

from payment_service.repository.charges import (
    ChargeRow,
    Claim,
    add_booking_copy,
    claim_payment,
    close_booking_copy,
    end_booking_copy,
    event_of_booking,
    record_charge,
)
from payment_service.repository.payments import (
    get_known_payment,
    get_known_refund,
    get_live_refund,
    get_payment,
    lease_pending_refunds,
    lease_refund,
    list_payments,
    lock_known_payment,
    lock_payment,
    lock_stale_processing,
    lock_succeeded_payment,
    release_refund,
    set_refund_outcome,
)

__all__ = [
    "ChargeRow",
    "Claim",
    "add_booking_copy",
    "claim_payment",
    "close_booking_copy",
    "event_of_booking",
    "end_booking_copy",
    "get_known_payment",
    "get_known_refund",
    "get_live_refund",
    "get_payment",
    "lease_pending_refunds",
    "lease_refund",
    "list_payments",
    "lock_known_payment",
    "lock_payment",
    "lock_stale_processing",
    "lock_succeeded_payment",
    "record_charge",
    "release_refund",
    "set_refund_outcome",
]
