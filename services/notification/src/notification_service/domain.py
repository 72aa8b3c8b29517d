"""Pure rules of notifications: kinds, statuses, how money, times and text are shown, who an
email is addressed to, and every error class of the service."""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from shared.errors import NotFound


class NotificationKind(enum.StrEnum):
    WELCOME = "welcome"
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_EXPIRED = "booking_expired"
    REFUND = "refund"
    ORGANIZER_DECISION = "organizer_decision"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"
    WAITLIST_OFFER = "waitlist_offer"


class NotificationStatus(enum.StrEnum):
    SENT = "sent"
    FAILED = "failed"


CHANNEL_EMAIL = "email"
NO_ADDRESS = "no address"
GENERAL_ADMISSION = "General admission"

# ISO 4217 currencies whose minor unit is not 1/100 (the rest have two decimals).
_MINOR_DIGITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0,
    "XPF": 0, "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


def format_money(amount: int, currency: str) -> str:
    """``8000, "USD"`` → ``"80.00 USD"``; ``1234567, "JPY"`` → ``"1,234,567 JPY"``."""
    digits = minor_digits(currency)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**digits)
    text = f"{major:,}" + (f".{minor:0{digits}d}" if digits else "")
    return f"{sign}{text} {currency.upper()}"


def format_when(moment: datetime) -> str:
    """A time as the event gave it, with its offset: ``Sat 12 Jul 2025, 19:30 (UTC+02:00)``."""
    offset = moment.utcoffset()
    if not offset:  # naive (taken as UTC) or UTC itself
        zone = "UTC"
    else:
        total = int(offset.total_seconds()) // 60
        sign = "+" if total >= 0 else "-"
        hours, minutes = divmod(abs(total), 60)
        zone = f"UTC{sign}{hours:02d}:{minutes:02d}"
    return f"{moment:%a %d %b %Y, %H:%M} ({zone})"


def seat_label(seat_id: str | None) -> str:
    return seat_id if seat_id else GENERAL_ADMISSION


def clean_text(value: str | None, *, limit: int = 500) -> str:
    """Arbitrary text made safe for one line: no control characters, whitespace collapsed."""
    if not value:
        return ""
    kept = []
    for char in value:
        category = unicodedata.category(char)
        if category in {"Cc", "Zl", "Zp"} or char in "\t\n\r":
            kept.append(" ")
        elif category in {"Cf", "Cs", "Co", "Cn"}:
            continue  # invisible format marks, lone surrogates, private/unassigned
        else:
            kept.append(char)
    text = " ".join("".join(kept).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def display_name(full_name: str | None, email: str) -> str:
    """How to greet someone: their name when known, else their address."""
    return clean_text(full_name, limit=120) or clean_text(email, limit=254)


@dataclass(frozen=True, slots=True)
class Addressee:
    """Where an email goes: an address and, when known, the person's name."""

    email: str
    full_name: str | None = None

    @property
    def name(self) -> str:
        """The name for the ``To`` header (one clean line, possibly empty)."""
        return clean_text(self.full_name)

    @property
    def greeting(self) -> str:
        return display_name(self.full_name, self.email)


class TicketsNotFound(NotFound):
    message = "No tickets for this booking (yet)."


class TicketsVoid(NotFound):
    message = "This booking was cancelled; its tickets are no longer valid."


class AddressUnusable(ValueError):
    """The recipient's address cannot be put on an envelope (retrying will not help)."""


def backoff_seconds(base: float, cap: float, attempts: int) -> float:
    """The wait after the ``attempts``-th failure: ``base`` doubled each time, at most ``cap``
    (emails and webhook deliveries alike)."""
    return min(cap, base * 2.0 ** min(attempts - 1, 30))
