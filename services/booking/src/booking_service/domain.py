"""Pure booking rules: states, allowed transitions, deadlines, who may see what, and every
error the service raises. No I/O."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from shared.errors import BadRequest, Conflict, Forbidden


class BookingStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUNDED = "refunded"


# DESIGN.md: pending_payment → confirmed → (cancelled | refunded);
#            pending_payment → (cancelled | expired).
# The late-payment rule adds expired → confirmed (the seats were re-taken) and expired →
# cancelled (they were not: the money goes back); a paid booking that was cancelled becomes
# refunded once payment says the money is back (payment.refunded). A refund that lands while a
# booking still holds seats (an admin refund, or messages out of order) ends it: → refunded.
TRANSITIONS: Mapping[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.PENDING_PAYMENT: frozenset(
        {
            BookingStatus.CONFIRMED,
            BookingStatus.CANCELLED,
            BookingStatus.EXPIRED,
            BookingStatus.REFUNDED,
        }
    ),
    BookingStatus.CONFIRMED: frozenset({BookingStatus.CANCELLED, BookingStatus.REFUNDED}),
    BookingStatus.EXPIRED: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.REFUNDED}
    ),
    BookingStatus.CANCELLED: frozenset({BookingStatus.REFUNDED}),
    BookingStatus.REFUNDED: frozenset(),
}

# A booking in one of these states keeps its seats (the partial unique index covers exactly these).
ACTIVE_STATUSES: frozenset[BookingStatus] = frozenset(
    {BookingStatus.PENDING_PAYMENT, BookingStatus.CONFIRMED}
)

REASON_PAID_AFTER_EXPIRY = "paid_after_expiry"
REASON_EVENT_CANCELLED = "event_cancelled"
REASON_CANCELLED_BY_USER = "cancelled_by_user"
REASON_CANCELLED_BY_ADMIN = "cancelled_by_admin"
REASON_PAID_AFTER_CANCEL = "paid_after_cancel"
REASON_PAYMENT_REFUNDED = "payment_refunded"


def can_transition(current: BookingStatus, target: BookingStatus) -> bool:
    return target in TRANSITIONS[current]


def is_active(status: BookingStatus) -> bool:
    """Whether a booking in ``status`` holds its seats."""
    return status in ACTIVE_STATUSES


def can_cancel(status: BookingStatus) -> bool:
    """Whether a person (owner, admin) or event.cancelled may cancel a booking in ``status``."""
    return is_active(status)


class CancelRefusal(enum.StrEnum):
    """Why a buyer may no longer cancel a booking that is still cancellable by an admin."""

    CHECKED_IN = "checked_in"  # a ticket was used at the gate: its holder is inside
    EVENT_STARTED = "event_started"  # the show is on (or over): nothing to give back any more


def buyer_cancel_refusal(
    status: BookingStatus, *, checked_in: bool, event_starts_at: datetime, now: datetime
) -> CancelRefusal | None:
    """Whether the buyer may still cancel (and so be refunded); admins and event.cancelled may.

    Only a confirmed booking is refused: it is the one that would be refunded and have its
    seats resold. An unpaid booking may always be given up (it would lapse anyway, and
    giving it up frees its seats sooner)."""
    if status is not BookingStatus.CONFIRMED:
        return None
    if checked_in:
        return CancelRefusal.CHECKED_IN
    if now >= event_starts_at:
        return CancelRefusal.EVENT_STARTED
    return None


def cancel_reason(*, by_admin: bool) -> str:
    return REASON_CANCELLED_BY_ADMIN if by_admin else REASON_CANCELLED_BY_USER


def payment_deadline(
    now: datetime, *, window_seconds: int, hold_expires_at: datetime | None = None
) -> datetime:
    """When an unpaid booking expires: after the payment window, never after its hold does."""
    deadline = now + timedelta(seconds=window_seconds)
    if hold_expires_at is not None and hold_expires_at < deadline:
        return hold_expires_at
    return deadline


def is_overdue(status: BookingStatus, expires_at: datetime, now: datetime) -> bool:
    return status is BookingStatus.PENDING_PAYMENT and expires_at <= now


def can_view(
    *,
    owner_id: uuid.UUID,
    organizer_id: uuid.UUID | None,
    viewer_id: uuid.UUID,
    viewer_is_admin: bool,
    viewer_is_organizer: bool,
) -> bool:
    """Owners, the event's organizer and admins see a booking. The organizer only while their
    role still is organizer: a demoted organizer no longer reads their events' bookings."""
    if viewer_is_admin or viewer_id == owner_id:
        return True
    return viewer_is_organizer and organizer_id is not None and viewer_id == organizer_id


def can_change(*, owner_id: uuid.UUID, viewer_id: uuid.UUID, viewer_is_admin: bool) -> bool:
    """Only the owner and admins cancel a booking (the organizer cancels the whole event)."""
    return viewer_is_admin or owner_id == viewer_id


def can_manage_event(
    *, organizer_id: uuid.UUID | None, viewer_id: uuid.UUID, viewer_is_admin: bool
) -> bool:
    """Sales and check-in of an event: its organizer and admins."""
    return viewer_is_admin or (organizer_id is not None and organizer_id == viewer_id)


class PaymentOutcome(enum.Enum):
    """What a succeeded payment does to a booking."""

    CONFIRM = "confirm"  # pending: confirm and issue tickets
    DUPLICATE = "duplicate"  # this payment was already applied: nothing to do
    RETAKE = "retake"  # expired unpaid: re-take the same seats and confirm, else refund at once
    REFUND = "refund"  # cancelled/refunded: announce it with the payment id so payment refunds
    DOUBLE_PAYMENT = "double_payment"  # confirmed by another payment: cannot be settled here


def payment_outcome(
    status: BookingStatus, *, booking_payment_id: uuid.UUID | None, payment_id: uuid.UUID
) -> PaymentOutcome:
    if booking_payment_id == payment_id:
        return PaymentOutcome.DUPLICATE
    if status is BookingStatus.PENDING_PAYMENT:
        return PaymentOutcome.CONFIRM
    if status is BookingStatus.CONFIRMED:
        return PaymentOutcome.DOUBLE_PAYMENT
    if status is BookingStatus.EXPIRED and booking_payment_id is None:
        return PaymentOutcome.RETAKE
    return PaymentOutcome.REFUND


class RefundOutcome(enum.Enum):
    """What payment.refunded does to a booking."""

    SETTLE = "settle"  # cancelled/expired: it becomes refunded, nothing else to free
    RELEASE = "release"  # it still holds seats: → refunded, and the seats are announced free
    DUPLICATE = "duplicate"  # already refunded for this payment
    FOREIGN = "foreign"  # a refund of another payment than the one this booking stands on


def refund_outcome(
    status: BookingStatus, *, booking_payment_id: uuid.UUID | None, payment_id: uuid.UUID
) -> RefundOutcome:
    if booking_payment_id not in (None, payment_id):
        return RefundOutcome.FOREIGN
    if status is BookingStatus.REFUNDED:
        return RefundOutcome.DUPLICATE
    if is_active(status):
        return RefundOutcome.RELEASE
    return RefundOutcome.SETTLE


def payment_failure_cancels(*, retryable: bool) -> bool:
    """A retryable failure leaves the booking waiting for another attempt."""
    return not retryable


def payment_failed_reason(reason: str) -> str:
    return f"payment_failed: {reason}"


# --- errors ---------------------------------------------------------------------------------


class HoldExpired(Conflict):
    code, message = "hold_expired", "The hold has expired or does not exist."


class HoldForbidden(Forbidden):
    message = "This hold belongs to someone else."


class SeatsUnavailable(Conflict):
    code, message = "seats_unavailable", "Some of these seats are no longer available."


class InvalidTicket(BadRequest):
    code, message = "invalid_ticket", "This is not a genuine ticket code."


class AlreadyCheckedIn(Conflict):
    code, message = "already_checked_in", "This ticket has already been used."


class RetakeRefused(Exception):
    """Event would not re-take a late payment's seats (taken meanwhile, buyer limit, sales
    closed, …): a final answer, so the payment is refunded."""

    def __init__(self, code: str, details: dict[str, object]) -> None:
        super().__init__(code)
        self.code = code
        self.details = details
