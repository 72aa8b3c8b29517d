"""Pure payment rules: statuses, card checks, what may be paid or refunded, and every error
the service raises. No I/O."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum

from shared.errors import InvalidState, NotFound, UpstreamUnavailable


class PaymentStatus(StrEnum):
    PROCESSING = "processing"  # claimed, the processor is being asked
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REFUNDED = "refunded"


# At most one payment per booking may be in these states (a unique partial index enforces it).
LIVE_STATUSES = (PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED)


class BookingStatus(StrEnum):
    """The states payment's copy of a booking tracks (booking owns the booking itself)."""

    PENDING_PAYMENT = "pending_payment"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # booking.expired: no new charge; one already in flight still lands


class RefundStatus(StrEnum):
    PENDING = "pending"  # recorded, the processor is being (or will be) asked
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the processor refused; the payment stays succeeded


# At most one refund per payment may be in these states (a unique partial index enforces it).
LIVE_REFUND_STATUSES = (RefundStatus.PENDING, RefundStatus.SUCCEEDED)


class FailureReason(StrEnum):
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    PROCESSING_ERROR = "processing_error"
    INVALID_NUMBER = "invalid_number"
    PROCESSING_INTERRUPTED = "processing_interrupted"


# ASCII digits only: str.isdigit() and int() also take Arabic-Indic or fullwidth digits, which
# no card network issues and which slipped past the processor's test-card numbers.
CARD_NUMBER = re.compile(r"[0-9]{12,19}")
CVC = re.compile(r"[0-9]{3,4}")


def normalize_card_number(raw: str) -> str:
    """Digits only: the ASCII spaces and dashes people type are dropped."""
    return raw.replace(" ", "").replace("-", "")


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check every real card number passes (12–19 ASCII digits)."""
    if CARD_NUMBER.fullmatch(number) is None:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def last_four(number: str) -> str:
    """The only part of a card number we keep or show."""
    return number[-4:]


def mask(number: str) -> str:
    """A card number fit for logs and screens: ``•••• 4242``."""
    return f"•••• {last_four(number)}"


def card_brand(number: str) -> str:
    """The card network, from the number's prefix (IIN ranges)."""
    if number.startswith("4"):
        return "visa"
    two, four = int(number[:2] or 0), int(number[:4] or 0)
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if number.startswith(("6011", "65")) or 644 <= int(number[:3] or 0) <= 649:
        return "discover"
    return "unknown"


def card_expired(exp_month: int, exp_year: int, *, today: date) -> bool:
    """A card is good through the last day of its expiry month."""
    return (exp_year, exp_month) < (today.year, today.month)


def payable(*, booking_status: str, has_live_payment: bool) -> bool:
    """A booking may be charged while it waits for payment and nothing has been paid for it."""
    return booking_status == BookingStatus.PENDING_PAYMENT and not has_live_payment


def refundable(payment_status: str) -> bool:
    return payment_status == PaymentStatus.SUCCEEDED


# --- errors -----------------------------------------------------------------------------------


class BookingNotFound(NotFound):
    message = "No such booking."


class BookingNotPayable(InvalidState):
    message = "This booking cannot be paid now."


class ChargeTimedOut(InvalidState):
    message = "The payment attempt timed out and was not charged; try again."


class ChargeOutcomeUnknown(UpstreamUnavailable):
    message = (
        "The card processor failed unexpectedly; the payment is on hold until it is cleared up. "
        "Try again later."
    )


class PaymentNotFound(NotFound):
    message = "No such payment."


class PaymentNotRefundable(InvalidState):
    message = "Only a succeeded payment can be refunded."


class RefundUnderWay(InvalidState):
    message = "A refund of this payment is being processed right now; try again shortly."


class RefundPending(UpstreamUnavailable):
    message = "The card processor did not answer; the refund is recorded and will be retried."


class RefundRefused(UpstreamUnavailable):
    message = "The card processor refused the refund; try again."


class ProcessorUnavailable(Exception):
    """Raised by a processor adapter when the provider did not answer (timeout, connection
    refused, its own 5xx): the card network's fault, not ours. Anything else a processor
    raises is a bug."""


class ProcessorUnknown(ValueError):
    """``PAYMENT_PROCESSOR`` names no implementation."""
