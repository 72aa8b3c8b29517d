"""The booking service's business metrics (names from DESIGN.md, "Observability").

Labels are outcomes only — never booking, event or user ids."""

from __future__ import annotations

from prometheus_client import Counter

from booking_service.domain import BookingStatus

BOOKINGS = Counter(
    "ticketing_bookings_total",
    "Bookings by what happened to them: created (pending payment), confirmed, cancelled, "
    "expired, refunded — counted when the change commits.",
    ["outcome"],
)
_OUTCOMES = {
    BookingStatus.PENDING_PAYMENT: "created",
    BookingStatus.CONFIRMED: "confirmed",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.EXPIRED: "expired",
    BookingStatus.REFUNDED: "refunded",
}
# the counter of a booking entering each status, made once (every outcome reads 0 from the start)
ENTERED = {status: BOOKINGS.labels(outcome) for status, outcome in _OUTCOMES.items()}
