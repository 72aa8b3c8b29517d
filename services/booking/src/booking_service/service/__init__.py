"""Booking use cases. One use case = one transaction; messages leave only through the outbox.

Use cases called by routes open their own transaction(s); those called by message handlers run
inside the consumer's transaction, next to its inbox claim.
"""

from booking_service.service.attendees import export_attendees
from booking_service.service.checkin import check_in
from booking_service.service.create import create_booking
from booking_service.service.events import record_event
from booking_service.service.manage import (
    cancel_booking,
    get_booking,
    get_booking_for_service,
    list_bookings,
)
from booking_service.service.payments import (
    cancel_unpaid_booking,
    confirm_paid_booking,
    settle_refund,
)
from booking_service.service.reports import event_sales, list_all_bookings, sales_overview
from booking_service.service.saga import cancel_event_bookings, expire_overdue_bookings

__all__ = [
    "cancel_booking",
    "cancel_event_bookings",
    "cancel_unpaid_booking",
    "check_in",
    "confirm_paid_booking",
    "create_booking",
    "event_sales",
    "expire_overdue_bookings",
    "export_attendees",
    "get_booking",
    "get_booking_for_service",
    "list_all_bookings",
    "list_bookings",
    "record_event",
    "sales_overview",
    "settle_refund",
]
