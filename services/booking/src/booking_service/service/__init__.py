"""Booking use cases. One use case = one transaction; messages leave only through the outbox.

Use cases called by routes open their own transaction(s); those called by message handlers run
inside the consumer's transaction, next to its inbox claim.
"""

from booking_service.service.create import SeatsUnavailable, create_booking
from booking_service.service.manage import (
    cancel_booking,
    get_booking,
    get_booking_for_service,
    list_bookings,
)
from booking_service.service.saga import (
    cancel_event_bookings,
    cancel_unpaid_booking,
    confirm_paid_booking,
    expire_overdue_bookings,
    purge_idempotency_keys,
)

__all__ = [
    "SeatsUnavailable",
    "cancel_booking",
    "cancel_event_bookings",
    "cancel_unpaid_booking",
    "confirm_paid_booking",
    "create_booking",
    "expire_overdue_bookings",
    "get_booking",
    "get_booking_for_service",
    "list_bookings",
    "purge_idempotency_keys",
]
