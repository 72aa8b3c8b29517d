"""Booking's queries (run inside the caller's transaction unless they say otherwise).

- lone statements run on ``shared.db.single_statements`` (``ctx.single``).
- :mod:`.bookings`: the purchase's statements — create, lock, move, confirm (hand-written SQL,
  one round trip each, bookings as immutable rows).
- :mod:`.views`: the JSON answers PostgreSQL writes (a booking's detail, payment's snapshot).
- :mod:`.reads`: listings, sales, check-in and the attendee list through the ORM.
"""

from booking_service.repository.bookings import (
    BookingRow,
    SeatRow,
    TicketRow,
    add_booking,
    confirm,
    count_double_booked,
    find_booking_of_hold,
    list_taken_seats,
    lock_active_bookings_of_event,
    lock_booking,
    lock_overdue_bookings,
    set_payment_if_unset,
    transition,
)
from booking_service.repository.reads import (
    add_event_copy,
    all_bookings,
    any_booking_of_event,
    any_ticket_checked_in,
    attendees_of_event,
    bookings_of_user,
    check_in_ticket,
    count_bookings_by_status,
    get_checked_in_at,
    get_event_organizer,
    get_ticket,
    list_event_sales,
    list_organizers_of_event,
    list_sold_by_tier,
    lock_booking_for_share,
)
from booking_service.repository.views import BookingView, snapshot_json, view_booking

__all__ = [
    "BookingRow",
    "BookingView",
    "SeatRow",
    "TicketRow",
    "add_booking",
    "add_event_copy",
    "all_bookings",
    "any_booking_of_event",
    "any_ticket_checked_in",
    "attendees_of_event",
    "bookings_of_user",
    "check_in_ticket",
    "confirm",
    "count_double_booked",
    "count_bookings_by_status",
    "find_booking_of_hold",
    "get_checked_in_at",
    "get_event_organizer",
    "get_ticket",
    "list_event_sales",
    "list_organizers_of_event",
    "list_sold_by_tier",
    "list_taken_seats",
    "lock_active_bookings_of_event",
    "lock_booking",
    "lock_booking_for_share",
    "lock_overdue_bookings",
    "set_payment_if_unset",
    "snapshot_json",
    "transition",
    "view_booking",
]
